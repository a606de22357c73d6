package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A node start's job directories, all named {@code <tmpdir>/rhizome-<nonce><tag>} with this start's key
 * ({@link JobDirNames}): the one made at start ({@link #dir}, which the node's disk checks watch) and one
 * new for each job ({@link #next}), in which that job's checkout lives. A job reads its checkout's host
 * path in {@code /proc/self/mountinfo}; when checkouts lay in the start's directory, every job of a node's
 * run read the same name there and so could tell that it ran where another had. Each is made as the start's
 * is ({@link JobDirs#prepareForNode}: 0700, or 0710 of the jobs' group), and a node killed outright finds
 * them all at its next start by the key's tag ({@link JobDirs#leftovers}) and deletes them beside that
 * start ({@link #leftoversDeleted}).
 */
public final class NodeJobDirs implements JobRoots {
    /** What makes a new job directory passable by the jobs' group where jobs run as subordinate uids. */
    @FunctionalInterface
    interface ForJobs {
        Path apply(Path made) throws IOException;
    }

    private final Path dir;
    private final String key;
    private final ForJobs forJobs;
    private final CompletableFuture<Integer> leftoversDeleted;

    NodeJobDirs(Path dir, String key, ForJobs forJobs, CompletableFuture<Integer> leftoversDeleted) {
        this.dir = dir;
        this.key = key;
        this.forJobs = forJobs;
        this.leftoversDeleted = leftoversDeleted;
    }

    /**
     * Done, with how many there were, once the job directories earlier starts left are deleted (off the
     * start's path: a killed job's tree of 200,000 entries held a start up for seconds to minutes).
     */
    public CompletableFuture<Integer> leftoversDeleted() {
        return leftoversDeleted;
    }

    /**
     * {@link #dir}, once {@link #leftoversDeleted} is done: for callers that want the old trees gone
     * before they go on (a node's start does not wait).
     */
    public Path dirOnceLeftoversDeleted() throws IOException {
        try {
            leftoversDeleted.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
        return dir;
    }

    /** The directory made at this start (nothing of a job's is in it). */
    public Path dir() {
        return dir;
    }

    /** A new job directory of this start's key for one job, which the caller deletes ({@link JobDirs#deleteTree}). */
    @Override
    public Path next() throws IOException {
        return forJobs.apply(JobDirs.newTagged(key));
    }
}
