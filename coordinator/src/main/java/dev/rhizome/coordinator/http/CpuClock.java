package dev.rhizome.coordinator.http;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The CPU time the calling thread has used, to charge what a request cost to its sender
 * ({@link ReadWork}) and to {@code rhizome_http_cpu_seconds_total}. Where the JVM cannot measure a
 * thread's CPU, wall time stands in (an overestimate under load, never an underestimate).
 */
final class CpuClock {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final boolean MEASURED = measurable();

    private CpuClock() {
    }

    static long now() {
        return MEASURED ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    private static boolean measurable() {
        try {
            if (!THREADS.isCurrentThreadCpuTimeSupported()) {
                return false;
            }
            if (!THREADS.isThreadCpuTimeEnabled()) {
                THREADS.setThreadCpuTimeEnabled(true);
            }
            return THREADS.getCurrentThreadCpuTime() >= 0;
        } catch (UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
