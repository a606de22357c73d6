package dev.rhizome.ops.bench;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * CPU time of the process's threads, grouped by name (numbers dropped: every coordinator worker
 * counts as one group), between two moments: where a run's CPU went, without a profiler.
 */
final class ThreadCpu {
    private final Map<Long, Long> startNanos = new HashMap<>();
    private final long startJitTicks = jitTicks();

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

    /**
     * Microseconds of CPU the JIT compiler threads used since {@link #start}, divided by
     * {@code per}; read from {@code /proc/self/task} (the JVM does not list these threads), so
     * 0 where there is no such file system. Resolution: one clock tick (10 ms) in all.
     */
    double jitSince(double per) {
        return (jitTicks() - startJitTicks) * 10_000.0 / per;
    }

    private static long jitTicks() {
        long ticks = 0;
        File[] tasks = new File("/proc/self/task").listFiles();
        if (tasks == null) {
            return 0;
        }
        for (File task : tasks) {
            try {
                String comm = Files.readString(task.toPath().resolve("comm")).strip();
                if (!comm.contains("CompilerThre")) {
                    continue;
                }
                String stat = Files.readString(task.toPath().resolve("stat"));
                // fields after the command name, which is in parentheses: state is the 3rd field, utime the 14th
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (IOException | RuntimeException e) {
                // the thread ended while we read: its time is lost to this count, which is a diagnostic
            }
        }
        return ticks;
    }

    /** Microseconds of CPU per group since {@link #start}, divided by {@code per}. */
    Map<String, Double> since(double per) {
        return since(per, name -> name.replaceAll("[-#]?\\d+", ""));
    }

    /** Microseconds of CPU per group ({@code groupOf} a thread's name) since {@link #start}, divided by {@code per}. */
    Map<String, Double> since(double per, UnaryOperator<String> groupOf) {
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Map<String, Double> groups = new TreeMap<>();
        for (long id : bean.getAllThreadIds()) {
            ThreadInfo info = bean.getThreadInfo(id);
            long now = bean.getThreadCpuTime(id);
            if (info == null || now < 0) {
                continue;
            }
            double us = (now - startNanos.getOrDefault(id, 0L)) / 1000.0 / per;
            groups.merge(groupOf.apply(info.getThreadName()), us, Double::sum);
        }
        groups.values().removeIf(us -> us < 1);
        return groups;
    }
}
