package dev.rhizome.coordinator.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Forces SQLite's write-ahead log to disk for the group commits that wrote to it, off the
 * committer thread, and answers their callers only then. SQLite runs with {@code synchronous =
 * NORMAL}: a commit writes its frames to the log without waiting for the disk (the log is still
 * forced before every checkpoint, and its header when it is reused, by SQLite itself). So the
 * committer goes on to the next group while the disk takes the last one, and one force covers
 * every group committed before it began. Nobody hears about a group's outcome (its work's value or
 * its failure) before the log holding it is on disk: what the coordinator acknowledges is as
 * durable as with {@code synchronous = FULL}.
 *
 * <p>A failed force is final (after a failed fsync the kernel may have dropped the dirty pages and
 * a second fsync can succeed without writing them): every caller waiting, and every later one, is
 * told the store failed, and the coordinator must be restarted, recovering from what is on disk.
 */
final class WalSync implements AutoCloseable {
    private final Path log;
    private final Thread thread;
    private final List<Runnable> waiting = new ArrayList<>();
    private FileChannel channel;
    private StoreException failure;
    private boolean stopping;

    WalSync(Path databaseFile) {
        this.log = databaseFile.resolveSibling(databaseFile.getFileName() + "-wal");
        this.thread = new Thread(this::syncLoop, "sqlite-wal-sync");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Runs {@code answers} (telling a committed group's callers their outcome) once the log is on
     * disk with everything committed so far; or, if the log can't be forced, fails nobody silently:
     * {@code onFailure} gets the reason instead.
     */
    synchronized void whenDurable(Runnable answers, java.util.function.Consumer<StoreException> onFailure) {
        if (failure != null) {
            onFailure.accept(failure);
            return;
        }
        waiting.add(() -> {
            if (failure != null) {
                onFailure.accept(failure);
            } else {
                answers.run();
            }
        });
        notifyAll();
    }

    /** The reason the log could not be forced, if it ever failed. */
    synchronized StoreException failure() {
        return failure;
    }

    private void syncLoop() {
        while (true) {
            List<Runnable> batch;
            synchronized (this) {
                while (waiting.isEmpty() && !stopping) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (waiting.isEmpty()) {
                    return;
                }
                batch = new ArrayList<>(waiting);
                waiting.clear();
            }
            force();
            batch.forEach(Runnable::run);
        }
    }

    private void force() {
        if (failure() != null) {
            return;
        }
        try {
            if (channel == null) {
                channel = FileChannel.open(log, StandardOpenOption.WRITE);
            }
            channel.force(false);
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                failure = new StoreException("the database's write-ahead log " + log + " could not be forced to disk ("
                        + e + "); what it held may be lost: restart the coordinator", null);
            }
        }
    }

    /** Answers everyone still waiting (after one last force), then stops. */
    @Override
    public void close() {
        synchronized (this) {
            stopping = true;
            notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was written through it
            }
        }
    }
}
