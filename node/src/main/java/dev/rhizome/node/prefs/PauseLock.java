package dev.rhizome.node.prefs;

import dev.rhizome.node.NodeLayout;
import dev.rhizome.protocol.files.ProcessLock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Who may change the kept pause ({@link KeptPause}): the node running on the data directory, which
 * holds this lock from before it reads the kept pause until its control socket closes, or else a
 * `rhizome node pause`/`resume` with no node running, for the instant of its change. Without it, a
 * node starting as an offline pause was written could read the old state and claim, and an offline
 * change could land over a running node's own. An OS file lock ({@code <data-dir>/pause.lock}),
 * released by the kernel when its holder dies, even by kill -9 (a {@link ProcessLock}: the file
 * names the holder's pid and is left in place).
 */
public final class PauseLock implements AutoCloseable {
    private static final Duration POLL = Duration.ofMillis(20);

    private final ProcessLock lock;

    private PauseLock(ProcessLock lock) {
        this.lock = lock;
    }

    /** The lock, or empty while a node (or another command's change) holds it. */
    public static Optional<PauseLock> tryTake(Path dataDir) throws IOException {
        try {
            return Optional.of(new PauseLock(ProcessLock.acquire(new NodeLayout(dataDir).pauseLock(),
                    "the kept pause of " + dataDir)));
        } catch (ProcessLock.Held held) {
            return Optional.empty();
        }
    }

    /**
     * The lock, waiting up to {@code patience} for a command's change to end (milliseconds: one
     * durable write); a holder past it is another node, which the data directory's own lock refuses
     * anyway, or a command stuck on its disk.
     */
    public static PauseLock await(Path dataDir, Duration patience) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            Optional<PauseLock> taken = tryTake(dataDir);
            if (taken.isPresent()) {
                return taken.get();
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new IOException(new NodeLayout(dataDir).pauseLock() + " is held by another process after "
                        + patience.toSeconds() + " s: a `rhizome node pause` or `resume` stuck on the disk, or another "
                        + "node on this data directory");
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** Releases the lock; a second call does nothing. */
    @Override
    public void close() throws IOException {
        lock.close();
    }
}
