package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node start's job directories, all named {@code <tmpdir>/rhizome-<nonce><tag>} with this start's key
 * ({@link JobDirNames}): the one made at start ({@link #dir}, which the node's disk checks watch) and one
 * new for each job ({@link #next}), in which that job's checkout lives. A job reads its checkout's host
 * path in {@code /proc/self/mountinfo}; when checkouts lay in the start's directory, every job of a node's
 * run read the same name there and so could tell that it ran where another had. Each is made as the start's
 * is ({@link JobDirs#prepareForNode}: 0700, or 0710 of the jobs' group), and a node killed outright finds
 * them all at its next start by the key's tag ({@link JobDirs#leftovers}) and deletes them beside that
 * start ({@link #leftoversDeleted}). A job's directory is deleted off its slot's path too ({@link #done}).
 */
public final class NodeJobDirs implements JobRoots {
    private static final Logger log = LoggerFactory.getLogger(NodeJobDirs.class);

    /** What makes a new job directory passable by the jobs' group where jobs run as subordinate uids. */
    @FunctionalInterface
    interface ForJobs {
        Path apply(Path made) throws IOException;
    }

    private final Path dir;
    private final String key;
    private final ForJobs forJobs;
    private final CompletableFuture<Integer> leftoversDeleted;
    private final Executor deleter;
    /** How long a stop whose wait ran out waits more for the delete under way to undo itself (one directory's step). */
    private static final long UNDO_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    /** A failed delete's own words in the log, cut: its path may be a job's tree nested to the path limit. */
    static final int MAX_FAILURE_CHARS = 2000;

    private final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();
    /** When a stop's wait runs out ({@link System#nanoTime}): the deletes still under way then undo themselves. */
    private volatile long giveUpAt;

    NodeJobDirs(Path dir, String key, ForJobs forJobs, CompletableFuture<Integer> leftoversDeleted) {
        this(dir, key, forJobs, leftoversDeleted, oneDeleter());
    }

    NodeJobDirs(Path dir, String key, ForJobs forJobs, CompletableFuture<Integer> leftoversDeleted, Executor deleter) {
        this.dir = dir;
        this.key = key;
        this.forJobs = forJobs;
        this.leftoversDeleted = leftoversDeleted;
        this.deleter = deleter;
    }

    /**
     * One thread for the start's job directories, in the order their jobs ended; a daemon: a stop does
     * not wait for it, since what it leaves carries this start's key and the next start deletes it.
     */
    private static ExecutorService oneDeleter() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "job-dirs-done");
            t.setDaemon(true);
            return t;
        });
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

    /** A new job directory of this start's key for one job, which the caller hands to {@link #done} after it. */
    @Override
    public Path next() throws IOException {
        return forJobs.apply(JobDirs.newTagged(key));
    }

    /**
     * Deletes a job's directory on a thread of its own and returns at once: the slot used to delete it
     * before it claimed again, and a job's tree of 200,000 entries held the slot for 73 s. Crash-safe as
     * the directory's name is: tagged with this start's key, a directory a kill or a stop leaves before
     * its turn is found and deleted by the next start ({@link JobDirs#leftovers}).
     */
    @Override
    public void done(Path root) {
        // a job that ends once the stop has begun is not waited for: its directory is left whole to the next start
        boolean afterStop = stopping.get();
        deleter.execute(() -> {
            if (afterStop) {
                return;
            }
            try {
                JobDirs.deleteTree(root, this::stopping);
            } catch (IOException | RuntimeException e) {
                // What failed names an entry of the job's tree, whose name the job chose: a line break or a terminal's
                // escape in it would reach the volunteer's log and terminal as the job wrote it.
                log.warn("could not delete the job directory {} ({}); the node's next start deletes it", root,
                        JobText.printable(e.toString(), MAX_FAILURE_CHARS));
            }
        });
    }

    /**
     * For a node's stop: the deletes of job directories that ended before it (queued or under way) and of
     * an earlier run's leftovers ({@link #leftoversDeleted}) are finished within {@code wait}, so that a
     * node's last stop leaves nothing in the temporary directory (storm failure 3 of round 30: a stop
     * that undid a delete at once left the job's directory whole, for a next start that never came).
     * Past {@code wait}, the delete under way undoes what it started ({@link JobDirs#deleteTree(Path,
     * java.util.function.BooleanSupplier)}) at its next directory, and this waits (at most 10 s more) for
     * that, so that the process's end (which the daemon threads do not outlive) cuts no delete in the
     * middle and leaves no trash ({@code .<name>.deleting-*}); what is not deleted then is left whole,
     * tagged with its start's key, to the next start, as a kill leaves it (the leftovers' keys stay kept).
     */
    public void stop(java.time.Duration wait) throws InterruptedException {
        giveUpAt = System.nanoTime() + wait.toNanos();
        stopping.set(true);
        // the deleter runs in order: once this runs, every delete handed to it before the stop has ended
        CompletableFuture<Void> queued = CompletableFuture.runAsync(() -> { }, deleter);
        CompletableFuture<Void> all = CompletableFuture.allOf(queued, leftoversDeleted.handle((n, e) -> null));
        boolean ended = endedBy(all, giveUpAt) || endedBy(all, giveUpAt + UNDO_WAIT_NANOS);
        if (!ended) {
            log.warn("a job directory's delete did not stop within {} s; the node's next start removes what it leaves",
                    wait.toSeconds() + java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(UNDO_WAIT_NANOS));
        }
    }

    private static boolean endedBy(CompletableFuture<Void> all, long deadlineNanos) throws InterruptedException {
        try {
            all.get(Math.max(0, deadlineNanos - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            return true;  // a delete's failure is reported where it happens; it deletes no more
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /**
     * Whether the deletes of this start's directories and leftovers stop now: a stop began and its wait
     * ran out ({@link #stop}).
     */
    boolean stopping() {
        return stopping.get() && System.nanoTime() - giveUpAt >= 0;
    }
}
