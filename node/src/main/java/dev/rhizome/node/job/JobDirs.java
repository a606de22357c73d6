package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Where a node checks out the code its jobs run: a directory of its own under the system's
 * temp directory, never inside the node's data directory, so that the only writable place a
 * sandboxed job has is nowhere near the node's key, repository or results.
 */
public final class JobDirs {
    private JobDirs() {
    }

    /**
     * Empties and (re)creates {@code <java.io.tmpdir>/rhizome-jobs-<uid>-<name>} with mode 0711:
     * only the node lists or creates entries in it; a job's uid may pass through it to its own
     * checkout. Refuses a path that is a symlink or belongs to someone else (a trap set in /tmp).
     */
    public static Path prepare(String name) throws IOException {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("bad job directory name: " + name);
        }
        Path root = Path.of(System.getProperty("java.io.tmpdir"))
                .resolve("rhizome-jobs-" + myUid() + "-" + name);
        if (Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isSymbolicLink(root) || !Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)
                    || uid(root) != myUid()) {
                throw new IOException(root + " exists and is not this user's directory; remove it");
            }
            deleteTree(root);
        }
        try {
            Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        } catch (FileAlreadyExistsException e) {
            throw new IOException(root + " appeared while it was being created; is another node using it?", e);
        }
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x")); // the umask may have cut it
        return root;
    }

    /** This process's uid: the owner of its /proc entry. */
    static int myUid() throws IOException {
        return uid(Path.of("/proc/self"));
    }

    private static int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    /** Removes a job directory and whatever checkouts are left in it. */
    public static void delete(Path root) throws IOException {
        if (Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            deleteTree(root);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
