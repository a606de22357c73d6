package dev.rhizome.ops.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of the process's threads, grouped by name (numbers dropped: every coordinator worker
 * counts as one group), between two moments: where a run's CPU went, without a profiler.
 */
final class ThreadCpu {
    private final Map<Long, Long> startNanos = new HashMap<>();

    private ThreadCpu() {
    }

    static ThreadCpu start() {
        ThreadCpu cpu = new ThreadCpu();
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        for (long id : bean.getAllThreadIds()) {
            cpu.startNanos.put(id, Math.max(0, bean.getThreadCpuTime(id)));
        }
        return cpu;
    }

    /** Microseconds of CPU per group since {@link #start}, divided by {@code per}. */
    Map<String, Double> since(double per) {
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Map<String, Double> groups = new TreeMap<>();
        for (long id : bean.getAllThreadIds()) {
            ThreadInfo info = bean.getThreadInfo(id);
            long now = bean.getThreadCpuTime(id);
            if (info == null || now < 0) {
                continue;
            }
            double us = (now - startNanos.getOrDefault(id, 0L)) / 1000.0 / per;
            groups.merge(info.getThreadName().replaceAll("[-#]?\\d+", ""), us, Double::sum);
        }
        groups.values().removeIf(us -> us < 1);
        return groups;
    }
}
