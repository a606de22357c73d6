package dev.rhizome.node.job;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How the node reads a file that a job could write (its result file): after the job's processes
 * are dead, and never as the job laid a trap for it. The node runs outside the sandbox, so the
 * path a job left means the node's view of it: a symbolic link to the node's key or to
 * {@code /etc/shadow} would be read with the node's rights and its contents reported; a FIFO would
 * block the node's thread forever; a directory or device is not a result; a sparse file of a
 * terabyte must not be read whole. So: only a regular file, read up to a bound.
 * <p>
 * A look ({@code lstat}) and then an open by the same path leave a moment in which a process of the
 * job that survived could swap the file for a FIFO, whose open (Java has no {@code O_NONBLOCK})
 * waits for a writer for ever, and the slot's thread with it. So the file is first moved
 * ({@code rename}, which follows no link and opens nothing) into a new 0700 directory of the node's
 * beside the file's directory, which no job sees, and looked at and opened only there, where
 * nothing can change it between the look and the open.
 */
public final class JobFiles {
    private JobFiles() {
    }

    /**
     * The first {@code maxBytes} of the regular file at {@code path}; empty when there is nothing
     * there, or something other than a regular file (a link, a FIFO, a directory, a device). The file
     * is taken out of its directory by the read: its directory's parent must be the node's, out of
     * every job's view (a harness's result directory lies in the slot's work root).
     */
    public static Optional<byte[]> readRegular(Path path, int maxBytes) throws IOException {
        return readRegular(path, maxBytes, () -> {
        });
    }

    /** As {@link #readRegular(Path, int)}, running {@code afterLook} where a live job would race the node. */
    static Optional<byte[]> readRegular(Path path, int maxBytes, Runnable afterLook) throws IOException {
        Path file = path.toAbsolutePath().normalize();
        if (file.getParent() != null) {
            // The file's directory as the job left it may deny its owner, now the node, the look or
            // the move (a chmod 000 or 0500): its owner's rwx back first, as for its delete.
            try {
                JobDirs.openUp(file.getParent());
            } catch (NoSuchFileException gone) {
                return Optional.empty();
            }
        }
        BasicFileAttributes attrs = lstat(file);
        if (attrs == null || !attrs.isRegularFile()) {
            return Optional.empty();
        }
        afterLook.run();
        Path aside = asideOf(file);
        try {
            Path taken = aside.resolve("file");
            try {
                // rename(2): whatever is there now moves as it is, a link as a link, a FIFO unopened.
                Files.move(file, taken, StandardCopyOption.ATOMIC_MOVE);
            } catch (NoSuchFileException gone) {
                return Optional.empty();
            } catch (FileSystemException e) {
                BasicFileAttributes now = lstat(file);
                if (now == null || !now.isRegularFile()) {
                    return Optional.empty(); // swapped for a directory of another owner, which cannot be moved
                }
                throw e;
            }
            attrs = lstat(taken);
            if (attrs == null || !attrs.isRegularFile()) {
                return Optional.empty();
            }
            // Nothing else writes here: this is the file that was just seen. O_NOFOLLOW all the same.
            try (SeekableByteChannel channel = Files.newByteChannel(taken, StandardOpenOption.READ,
                    LinkOption.NOFOLLOW_LINKS); InputStream in = Channels.newInputStream(channel)) {
                return Optional.of(in.readNBytes(maxBytes));
            }
        } finally {
            JobDirs.deleteTree(aside);
        }
    }

    /** A new 0700 directory of the node's beside the directory that holds {@code file}. */
    private static Path asideOf(Path file) throws IOException {
        Path dir = file.getParent();
        Path parent = dir == null ? null : dir.getParent();
        if (parent == null) {
            throw new IOException("will not read " + file + ": its directory has no parent to set it aside in");
        }
        while (true) {
            Path d = parent.resolve("." + dir.getFileName() + ".reading-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            try {
                return Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException taken) {
                // picked again
            }
        }
    }

    private static BasicFileAttributes lstat(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
