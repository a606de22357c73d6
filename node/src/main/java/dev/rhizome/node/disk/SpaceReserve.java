package dev.rhizome.node.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file of zeros that holds a little of the disk for the one write that must not fail: a
 * finished result's outbox entry. When the disk is full the file is deleted and that write goes
 * into the space it held; it is made again once the disk has room. Without it a result the full
 * disk refused was held only in memory, and lost if the node stopped before the disk took it.
 */
public final class SpaceReserve {
    /** Room for a few hundred signed results (a few KB each). */
    public static final int BYTES = 1 << 20;
    public static final String FILE_NAME = "space.reserve";

    private final Path file;
    private final int bytes;

    public SpaceReserve(Path file, int bytes) {
        this.file = file;
        this.bytes = bytes;
    }

    /** Makes sure the reserve is there; false when the disk has no room for it now (tried again later). */
    public synchronized boolean keep() {
        try {
            if (Files.isRegularFile(file) && Files.size(file) == bytes) {
                return true;
            }
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer zeros = ByteBuffer.allocate(64 << 10);
                for (long written = 0; written < bytes; ) {
                    zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - written));
                    written += out.write(zeros);  // real blocks, not a sparse file: they are what is held
                }
            }
            return true;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(file);  // a part of a reserve holds what the disk needs now
            } catch (IOException ignored) {
                // tried again on the next keep
            }
            return false;
        }
    }

    /** Gives the reserved space back to the disk; whether there was any to give. */
    public synchronized boolean release() {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            return false;
        }
    }
}
