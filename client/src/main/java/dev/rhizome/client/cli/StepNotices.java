package dev.rhizome.client.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Says on standard error what a command is doing once one of its steps has run longer than a moment,
 * and again every few seconds while it goes on: `submit` and `seed publish` ran 20-25 s on a loaded
 * machine with nothing on the screen (an agent cannot tell that from a hang), yet a line per step
 * would be noise where each takes milliseconds. Quiet steps print nothing.
 */
public final class StepNotices implements AutoCloseable {
    /** How long a step runs before it is named. */
    static final Duration QUIET = Duration.ofSeconds(3);
    /** How often a step still running is named again. */
    static final Duration EVERY = Duration.ofSeconds(5);

    private final PrintStream err;
    private final LongSupplier nanos;
    private final ScheduledExecutorService timer;
    private String step;
    private long stepStart;
    private long lastSaid;

    /** Notices on {@code err}, looked at once a second by a daemon thread until {@link #close}. */
    public static StepNotices on(PrintStream err) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "step-notices");
            t.setDaemon(true);
            return t;
        });
        StepNotices notices = new StepNotices(err, System::nanoTime, timer);
        timer.scheduleAtFixedRate(notices::look, 1, 1, TimeUnit.SECONDS);
        return notices;
    }

    StepNotices(PrintStream err, LongSupplier nanos, ScheduledExecutorService timer) {
        this.err = err;
        this.nanos = nanos;
        this.timer = timer;
    }

    /** The command now does {@code what} (a phrase: "importing HEAD into the node's repository"). */
    public synchronized void step(String what) {
        step = what;
        stepStart = nanos.getAsLong();
        lastSaid = Long.MIN_VALUE;
    }

    /** Names the step if it has run past {@link #QUIET} and was not named in the last {@link #EVERY}. */
    synchronized void look() {
        if (step == null) {
            return;
        }
        long now = nanos.getAsLong();
        long ran = now - stepStart;
        if (ran < QUIET.toNanos() || (lastSaid != Long.MIN_VALUE && now - lastSaid < EVERY.toNanos())) {
            return;
        }
        lastSaid = now;
        err.println("rhizome: " + step + " (" + TimeUnit.NANOSECONDS.toSeconds(ran) + " s so far)");
        err.flush();
    }

    /** No step runs any more: nothing more is said. */
    @Override
    public synchronized void close() {
        step = null;
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
