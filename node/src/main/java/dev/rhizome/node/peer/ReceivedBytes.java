package dev.rhizome.node.peer;

import dev.rhizome.node.git.BundleException;
import dev.rhizome.node.git.BundleFile;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.PieceDigests;
import dev.rhizome.node.git.TempBundles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bytes of one bundle as they arrive, each at its position: in memory while they fit in
 * {@link #MEMORY_BYTES} (most bundles: the fetch then creates no temporary file, and the import and
 * the cache read none back), in a temporary file from the first byte past that, so memory stays
 * bounded whatever the bundle's size. The owner closes it, which deletes any file left.
 */
final class ReceivedBytes implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReceivedBytes.class);
    /** Bundles up to 1 MiB (one piece) stay in memory. */
    static final int MEMORY_BYTES = BundleFile.PIECE_BYTES;

    private final int memoryBytes;
    private byte[] memory = new byte[0];
    private long size;
    private Path file;
    private FileChannel channel;

    ReceivedBytes() {
        this(MEMORY_BYTES);
    }

    ReceivedBytes(int memoryBytes) {
        this.memoryBytes = memoryBytes;
    }

    /** Writes {@code data} at {@code position}; bytes past the end so far extend it. */
    synchronized void write(ByteBuffer data, long position) throws IOException {
        long end = position + data.remaining();
        if (file == null && end > memoryBytes) {
            spill();
        }
        if (file != null) {
            for (long at = position; data.hasRemaining(); ) {
                at += channel.write(data, at);
            }
        } else {
            if (end > memory.length) {
                memory = Arrays.copyOf(memory, (int) Math.min(memoryBytes, Math.max(end, 2L * memory.length)));
            }
            data.get(memory, (int) position, data.remaining());
        }
        size = Math.max(size, end);
    }

    /** Writes {@code data} after the last byte so far. */
    synchronized void append(ByteBuffer data) throws IOException {
        write(data, size);
    }

    /** Drops every byte from {@code length} on: what is kept of a transfer that ended early. */
    synchronized void truncate(long length) throws IOException {
        if (length < 0 || length > size) {
            throw new IllegalArgumentException("cannot cut " + size + " bytes to " + length);
        }
        if (file != null) {
            channel.truncate(length);
        }
        size = length;
    }

    /** Hands every byte received, in order, to {@code into} (the buffers are only valid during the call). */
    synchronized void replay(Consumer<ByteBuffer> into) throws IOException {
        if (file == null) {
            into.accept(ByteBuffer.wrap(memory, 0, (int) size).asReadOnlyBuffer());
            return;
        }
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        for (long at = 0; at < size; ) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), size - at));
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new IOException("temporary bundle " + file + " is shorter than the " + size + " bytes written");
            }
            at += n;
            buffer.flip();
            into.accept(buffer);
        }
    }

    synchronized long size() {
        return size;
    }

    synchronized boolean inMemory() {
        return file == null;
    }

    /** The temporary file, once past the memory limit. */
    synchronized Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    private void spill() throws IOException {
        file = TempBundles.create(TempBundles.FETCH);
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
        ByteBuffer held = ByteBuffer.wrap(memory, 0, (int) size);
        while (held.hasRemaining()) {
            channel.write(held);
        }
        memory = null;
    }

    /** SHA-256 of every byte received. */
    synchronized byte[] sha256() throws IOException {
        MessageDigest digest = sha256Digest();
        if (file == null) {
            digest.update(memory, 0, (int) size);
        } else {
            try (InputStream in = Files.newInputStream(file)) {
                byte[] buffer = new byte[64 * 1024];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    digest.update(buffer, 0, n);
                }
            }
        }
        return digest.digest();
    }

    /** Imports the bundle these bytes make, with every check of {@link NodeRepository#importBundle}. */
    synchronized String importInto(NodeRepository repo, String commit, long maxBytes) throws BundleException, IOException {
        if (file == null) {
            return repo.importBundle(exact(), commit, maxBytes);
        }
        channel.close();
        return repo.importBundle(file, commit, maxBytes);
    }

    /** Hands the bundle to the repository's cache, to be served as received (the file, if any, is moved there). */
    synchronized BundleFile keepIn(NodeRepository repo, String commit, PieceDigests.Result digests) throws IOException {
        if (file == null) {
            return repo.keepReceivedBundle(exact(), commit, digests);
        }
        channel.close();
        return repo.keepReceivedBundle(file, commit, digests);
    }

    private byte[] exact() {
        if (memory.length != size) {
            memory = Arrays.copyOf(memory, (int) size);
        }
        return memory;
    }

    /** Deletes the temporary file, if one is left; a failure to is logged, never turned into a failed fetch. */
    @Override
    public synchronized void close() {
        if (file == null) {
            return;
        }
        try {
            channel.close();
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("cannot delete temporary bundle {}: {}", file, e.getMessage());
        }
    }

    static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
