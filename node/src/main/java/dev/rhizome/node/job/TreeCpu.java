package dev.rhizome.node.job;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The CPU time a job's processes used since the last look, read from each one's
 * {@code /proc/<pid>/stat}: its own user and system time and that of the children it waited for
 * (where a finished child's time goes). A process that ended between two looks and was not waited
 * for by one of the tree takes its last interval's time with it, so the count is at most low, and a
 * job charged too little is still bounded by its {@link JobClock}'s wall-clock bound.
 *
 * <p>Beside it, the time the same processes spent runnable but waiting for a CPU ({@code run_delay},
 * the second field of each thread's {@code /proc/<pid>/task/<tid>/schedstat}): what tells a job starved by other work from
 * one that slept. A finished process's wait is not passed to its parent, so a job of many short
 * processes shows less wait than it had, and is at worst judged as before (a TIMEOUT).
 */
final class TreeCpu {
    /** USER_HZ, the unit of {@code /proc}'s times: 100 on every Linux architecture the node runs on. */
    private static final long TICK_NANOS = 10_000_000L;

    private final Map<ProcessHandle, Long> lastTicks = new HashMap<>();
    private final Map<ProcessHandle, Long> lastWaits = new HashMap<>();
    private OptionalLong waited = OptionalLong.empty();

    /** The CPU time {@code alive} used since the last call; empty when the root's could not be read (no {@code /proc}). */
    OptionalLong since(List<ProcessHandle> alive) {
        long added = 0;
        long addedWait = 0;
        boolean waitKnown = true;
        Map<ProcessHandle, Long> now = new HashMap<>();
        Map<ProcessHandle, Long> waitsNow = new HashMap<>();
        for (int i = 0; i < alive.size(); i++) {
            ProcessHandle handle = alive.get(i);
            OptionalLong ticks = ticks(handle.pid());
            if (ticks.isEmpty()) {
                if (i == 0) {
                    waited = OptionalLong.empty();
                    return OptionalLong.empty();
                }
                continue; // gone since the tree was looked at
            }
            now.put(handle, ticks.getAsLong());
            added += Math.max(0, ticks.getAsLong() - lastTicks.getOrDefault(handle, 0L));
            OptionalLong wait = runDelay(handle.pid());
            if (wait.isPresent()) {
                waitsNow.put(handle, wait.getAsLong());
                addedWait += Math.max(0, wait.getAsLong() - lastWaits.getOrDefault(handle, 0L));
            } else if (i == 0) {
                waitKnown = false; // no schedstat (a kernel without CONFIG_SCHED_INFO)
            }
        }
        lastTicks.clear();
        lastTicks.putAll(now);
        lastWaits.clear();
        lastWaits.putAll(waitsNow);
        waited = waitKnown ? OptionalLong.of(addedWait) : OptionalLong.empty();
        return OptionalLong.of(added * TICK_NANOS);
    }

    /** The time the processes of the last {@link #since} call waited for a CPU since the one before; empty where unknown. */
    OptionalLong waitedForCpu() {
        return waited;
    }

    /**
     * The wait of all of {@code pid}'s threads: {@code /proc/<pid>/schedstat} is its first thread's
     * alone (unlike {@code stat}'s times, which are the whole process's), and a JVM's or PyTorch's
     * first thread mostly sleeps while others run, so a starved job read there looked as if it had
     * slept. A thread that ended takes its wait with it (at worst judged as before, a TIMEOUT).
     */
    private static OptionalLong runDelay(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        long sum = 0;
        boolean read = false;
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
            for (Path thread : threads) {
                OptionalLong wait = runDelayOf(thread.resolve("schedstat"));
                if (wait.isPresent()) {
                    sum += wait.getAsLong();
                    read = true;
                }
            }
        } catch (IOException | RuntimeException e) {
            return runDelayOf(Path.of("/proc", Long.toString(pid), "schedstat"));
        }
        return read ? OptionalLong.of(sum) : runDelayOf(Path.of("/proc", Long.toString(pid), "schedstat"));
    }

    private static OptionalLong runDelayOf(Path schedstat) {
        try (RandomAccessFile f = new RandomAccessFile(schedstat.toFile(), "r")) {
            byte[] buf = new byte[128];
            int n = f.read(buf);
            String[] fields = n <= 0 ? new String[0] : new String(buf, 0, n, StandardCharsets.US_ASCII).trim().split(" ");
            return fields.length < 2 ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(fields[1]));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    private static OptionalLong ticks(long pid) {
        try {
            String stat = ProcessTree.readStat(pid);
            int end = stat.lastIndexOf(')'); // the command name before it may hold spaces and parentheses
            String[] fields = stat.substring(end + 2).trim().split(" ");
            // fields[0] is the state (field 3 of proc(5)); utime, stime, cutime, cstime are fields 14 to 17
            long sum = 0;
            for (int field = 14; field <= 17; field++) {
                sum += Long.parseLong(fields[field - 3]);
            }
            return OptionalLong.of(sum);
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }
}
