package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where one job's directories (its checkout, a harness's copy and result directory) are made: a new
 * directory for each job, of the node's, that the job's uid passes. A job reads its checkout's host path
 * in {@code /proc/self/mountinfo}, so no name in it may be one another job saw: a job directory that
 * lasted a node's run let its jobs tell that they ran on the same node ({@link NodeJobDirs}).
 */
@FunctionalInterface
public interface JobRoots {
    /** A new, empty directory for one job, which the caller hands to {@link #done} when the job is done. */
    Path next() throws IOException;

    /**
     * Deletes {@code root}, from {@link #next}, whatever its job did to it ({@link JobDirs#deleteTree}):
     * here at once; a node's start deletes it off the slot's path ({@link NodeJobDirs#done}).
     */
    default void done(Path root) throws IOException {
        JobDirs.deleteTree(root);
    }

    /**
     * A new directory of a random name under {@code dir} for each job, passable by any uid (the job's
     * own where it runs as one; what keeps others out is above {@code dir}): for a caller that owns
     * {@code dir} and its parents, such as a test, not a node's start ({@link NodeJobDirs}).
     */
    static JobRoots under(Path dir) throws IOException {
        Path parent = Files.createDirectories(dir);
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx--x--x"));
        return () -> {
            Path one = Files.createDirectory(parent.resolve(JobDirNames.forOneJob()));
            // whatever the volunteer's umask: 027 made a slot's directory 0750, which a job's own uid cannot pass
            Files.setPosixFilePermissions(one, PosixFilePermissions.fromString("rwx--x--x"));
            return one;
        };
    }
}
