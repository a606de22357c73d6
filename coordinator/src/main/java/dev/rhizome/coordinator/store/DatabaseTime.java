package dev.rhizome.coordinator.store;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.Supplier;

/**
 * The time each thread has waited for PostgreSQL to answer its views: the wall time of a view's
 * work less the thread's own CPU in it (which the caller measures anyway), so what the database
 * spent on a read (planning, scanning, sorting, sending rows) can be charged to whoever asked for
 * it ({@code http.ReadWork}). The thread's CPU alone charged a read that kept PostgreSQL busy for a
 * second about what decoding its rows cost. Only the view's work is timed: waiting for a connection
 * or for the writers in flight is the coordinator's queue, not the asker's cost. SQLite answers on
 * the calling thread, whose CPU is that cost already. Where the JVM cannot measure a thread's CPU
 * nothing is counted here: the caller's clock is then wall time, which holds the wait already.
 */
public final class DatabaseTime {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final ThreadLocal<long[]> WAITED = ThreadLocal.withInitial(() -> new long[1]);

    private DatabaseTime() {
    }

    /** Nanoseconds this thread has waited on the database in views, since it started (a running total). */
    public static long waited() {
        return WAITED.get()[0];
    }

    /** Runs a view's work and adds what of its wall time was not this thread's CPU. */
    static <T> T timed(Supplier<T> work) {
        long cpu = threadCpu();
        if (cpu < 0) {
            return work.get();
        }
        long wall = System.nanoTime();
        try {
            return work.get();
        } finally {
            long waitedNow = (System.nanoTime() - wall) - (threadCpu() - cpu);
            if (waitedNow > 0) {
                WAITED.get()[0] += waitedNow;
            }
        }
    }

    /** This thread's CPU time, or -1 where it is not measured. */
    private static long threadCpu() {
        try {
            return THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled()
                    ? THREADS.getCurrentThreadCpuTime() : -1;
        } catch (UnsupportedOperationException e) {
            return -1;
        }
    }
}
