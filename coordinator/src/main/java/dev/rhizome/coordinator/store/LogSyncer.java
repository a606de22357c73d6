package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Makes the SQLite store's commits durable on a thread of its own, so that the committer runs the
 * next group while the last one's log is being forced to disk. The committer commits with
 * {@code synchronous = NORMAL} (the log is written, not forced) and hands each commit here in
 * commit order; this thread forces the write-ahead log once for every commit waiting, then
 * acknowledges them in order. One force covers every commit handed over before it started, since
 * the log is one file written in order, and a crash can only lose a suffix of it (SQLite's
 * recovery stops at the first frame that is not whole), so nothing acknowledged is lost and
 * nothing is acknowledged before it is on disk: the promise of a full sync at each commit, with the
 * force shared and off the committer's path. Checkpoints keep their own syncs (SQLite forces the
 * log before copying it into the database and the database after).
 *
 * <p>Readers must not see what is not yet durable either (a view could show a result a crash then
 * loses): {@link #awaitDurable} holds a read until every commit it may have seen is forced.
 *
 * <p>A force that fails leaves the log's state on disk unknown (the kernel may have dropped the
 * pages it could not write), so the store stops: every commit waiting or to come fails, and the
 * coordinator must be restarted, when SQLite recovers from what the disk holds.
 */
final class LogSyncer implements AutoCloseable {
    /** A commit handed over: its sequence number, whether it wrote anything, and what to acknowledge. */
    record Commit(long seq, boolean wrote, Runnable acknowledge, java.util.function.Consumer<StoreException> fail) {
    }

    /** Forces the log to disk; tests wrap it to hold or fail a force. */
    @FunctionalInterface
    interface Force {
        void force() throws IOException;
    }

    private static final Commit STOP = new Commit(-1, false, () -> { }, e -> { });

    private final Path log;
    private final Path directory;
    private final BlockingQueue<Commit> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private final java.util.function.UnaryOperator<Force> wrap;
    private FileChannel channel;
    private Force force;
    /** Every commit up to this one is on disk (or was given up: see {@link #failure}). */
    private long durable;
    private StoreException failure;
    /** Commits that wrote since the last force; a force with nothing new written is skipped. */
    private boolean dirty;
    /** Commits handed over and not yet acknowledged or failed. */
    private int inFlight;
    /** Run once when {@link #inFlight} next falls to 0, for a committer holding a group open. */
    private Runnable onIdle;

    LogSyncer(Path databaseFile) {
        this(databaseFile, f -> f);
    }

    LogSyncer(Path databaseFile, java.util.function.UnaryOperator<Force> wrap) {
        this.wrap = wrap;
        this.log = databaseFile.resolveSibling(databaseFile.getFileName() + "-wal");
        this.directory = databaseFile.toAbsolutePath().getParent();
        this.thread = new Thread(this::run, "sqlite-log-syncer");
        thread.setDaemon(true);
    }

    /**
     * Forces what the store wrote while it opened (migrations, a recovered log) and the directory
     * holding the log (the log may be new, and its name is not durable until its directory is),
     * then starts the thread.
     */
    void start() throws IOException {
        channel = FileChannel.open(log, StandardOpenOption.READ);
        channel.force(false);
        DurableFiles.forceDirectory(directory);
        FileChannel c = channel;
        force = wrap.apply(() -> c.force(false));
        thread.start();
    }

    /** Hands over a commit, in commit order; the committer calls this after each group's commit. */
    void committed(Commit commit) {
        StoreException failed;
        synchronized (this) {
            failed = failure;
            if (failed == null) {
                inFlight++;
            }
        }
        if (failed != null) {
            commit.fail().accept(failed);
            return;
        }
        queue.add(commit);
    }

    /**
     * True when every commit handed over is acknowledged (a commit now would be forced at once);
     * otherwise false, and {@code wake} runs once when that is next so (or the syncer fails).
     */
    synchronized boolean idleElse(Runnable wake) {
        if (inFlight == 0 || failure != null) {
            return true;
        }
        onIdle = wake;
        return false;
    }

    /** Why commits can no longer be made durable, or null while they can. */
    synchronized StoreException failure() {
        return failure;
    }

    /** Waits until every commit up to {@code seq} is on disk. */
    synchronized void awaitDurable(long seq) {
        boolean interrupted = false;
        while (durable < seq && failure == null) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;  // the read is done; only its durability is awaited
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (durable < seq) {
            throw failure;  // set: the loop ends only when durable or failed
        }
    }

    private void run() {
        List<Commit> group = new ArrayList<>();
        while (true) {
            try {
                group.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(group);
            boolean stop = group.remove(STOP);
            for (Commit c : group) {
                dirty |= c.wrote();
            }
            StoreException failed = force();
            for (Commit c : group) {
                if (failed == null) {
                    c.acknowledge().run();
                } else {
                    c.fail().accept(failed);
                }
            }
            Runnable wake = null;
            synchronized (this) {
                if (failed == null && !group.isEmpty()) {
                    durable = Math.max(durable, group.get(group.size() - 1).seq());
                    notifyAll();
                }
                inFlight -= group.size();
                if (inFlight == 0 || failure != null) {
                    wake = onIdle;
                    onIdle = null;
                }
            }
            if (wake != null) {
                wake.run();
            }
            group.clear();
            if (stop) {
                return;
            }
        }
    }

    private StoreException force() {
        synchronized (this) {
            if (failure != null) {
                return failure;
            }
        }
        if (!dirty) {
            return null;
        }
        try {
            force.force();
            dirty = false;
            return null;
        } catch (IOException e) {
            StoreException failed = new StoreException("the database's log could not be forced to disk ("
                    + e.getMessage() + "); what was not acknowledged may be lost: restart the coordinator", e);
            synchronized (this) {
                failure = failed;
                notifyAll();
            }
            return failed;
        }
    }

    /** Forces and acknowledges every commit handed over, then stops the thread. */
    @Override
    public void close() {
        if (thread.isAlive()) {
            queue.add(STOP);
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // a read handle on the log; closing it loses nothing
            }
        }
    }
}
