package dev.rhizome.node.job;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * How the node reads a file that a job could write (its result file): after the job's processes
 * are dead, and never as the job laid a trap for it. The node runs outside the sandbox, so the
 * path a job left means the node's view of it: a symbolic link to the node's key or to
 * {@code /etc/shadow} would be read with the node's rights and its contents reported; a FIFO would
 * block the node's thread forever; a directory or device is not a result; a sparse file of a
 * terabyte must not be read whole. So: only a regular file (checked without following links, and
 * opened with {@code O_NOFOLLOW}, so a link is refused even in its last component), read up to a bound.
 */
public final class JobFiles {
    private JobFiles() {
    }

    /**
     * The first {@code maxBytes} of the regular file at {@code path}; empty when there is nothing
     * there, or something other than a regular file (a link, a FIFO, a directory, a device).
     */
    public static Optional<byte[]> readRegular(Path path, int maxBytes) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (!attrs.isRegularFile()) {
            return Optional.empty();
        }
        // O_NOFOLLOW: swapped for a link since the check, the open fails rather than follows it.
        try (SeekableByteChannel channel = Files.newByteChannel(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                InputStream in = Channels.newInputStream(channel)) {
            return Optional.of(in.readNBytes(maxBytes));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (FileSystemException e) {
            if (Files.isSymbolicLink(path)) {
                return Optional.empty(); // ELOOP from O_NOFOLLOW
            }
            throw e;
        }
    }
}
