package dev.rhizome.ops.bench;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The CPU a phase of a benchmark used: the whole process's, by group of threads, and the JIT
 * compiler's (which the JVM does not list among its threads).
 */
final class PhaseCpu {
    private final long processStart = processCpuNanos();
    private final ThreadCpu threads = ThreadCpu.start();

    /** What the phase used; {@code threads} in microseconds per group, not yet divided. */
    record Used(double processMs, Map<String, Double> threads, double jitMs) {
        /** Microseconds per group divided by {@code per}, rounded. */
        Map<String, Long> threadsPer(double per) {
            Map<String, Long> out = new TreeMap<>();
            threads.forEach((group, us) -> out.put(group, Math.round(us / per)));
            out.values().removeIf(us -> us == 0);
            return out;
        }
    }

    private PhaseCpu() {
    }

    static PhaseCpu start() {
        return new PhaseCpu();
    }

    Used stop(UnaryOperator<String> groupOf) {
        return new Used((processCpuNanos() - processStart) / 1e6, threads.since(1, groupOf), threads.jitSince(1) / 1000);
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
