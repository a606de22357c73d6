package dev.rhizome.protocol;

import org.slf4j.Logger;

/**
 * How a long-lived worker (a committer thread, a timer's periodic task, a reporter) takes the
 * failure of one piece of its work: it says so and goes on. Left alone, a periodic task of a
 * {@code ScheduledExecutorService} that throws is never run again, without a word, and a thread
 * whose loop lets an exception out ends, leaving whatever waits on it waiting for good.
 *
 * <p>The first failure is logged with its stack trace; while the work keeps failing, one line a
 * minute with the count (a task that fails every second must not fill the disk with traces);
 * when it works again, one line saying so.
 */
public final class WorkerFailures {
    static final long REPEAT_MS = 60_000;

    private final Logger log;
    private final String what;
    private int failing;
    private long loggedAtMs;

    public WorkerFailures(Logger log, String what) {
        this.log = log;
        this.what = what;
    }

    /** {@code task} run by a timer: a failure is logged, and the timer runs it again in its next period. */
    public static Runnable periodic(Logger log, String what, Runnable task) {
        WorkerFailures failures = new WorkerFailures(log, what);
        return () -> {
            try {
                task.run();
            } catch (Throwable t) {  // an Error too: it would cancel the task for good
                failures.failed(t);
                return;
            }
            failures.succeeded();
        };
    }

    public synchronized void failed(Throwable t) {
        long now = System.currentTimeMillis();
        failing++;
        if (failing == 1) {
            loggedAtMs = now;
            log.error("{} failed; it goes on with its next piece of work", what, t);
        } else if (now - loggedAtMs >= REPEAT_MS) {
            loggedAtMs = now;
            log.error("{} failed again ({} times in a row), last: {}", what, failing, t.toString());
        }
    }

    public synchronized void succeeded() {
        if (failing > 0) {
            log.info("{} works again after {} failures", what, failing);
            failing = 0;
        }
    }

    /** Failures in a row since the last success. */
    public synchronized int failing() {
        return failing;
    }
}
