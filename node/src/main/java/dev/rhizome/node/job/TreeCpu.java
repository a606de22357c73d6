package dev.rhizome.node.job;

import java.io.IOException;
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
 */
final class TreeCpu {
    /** USER_HZ, the unit of {@code /proc}'s times: 100 on every Linux architecture the node runs on. */
    private static final long TICK_NANOS = 10_000_000L;

    private final Map<ProcessHandle, Long> lastTicks = new HashMap<>();

    /** The CPU time {@code alive} used since the last call; empty when the root's could not be read (no {@code /proc}). */
    OptionalLong since(List<ProcessHandle> alive) {
        long added = 0;
        Map<ProcessHandle, Long> now = new HashMap<>();
        for (int i = 0; i < alive.size(); i++) {
            ProcessHandle handle = alive.get(i);
            OptionalLong ticks = ticks(handle.pid());
            if (ticks.isEmpty()) {
                if (i == 0) {
                    return OptionalLong.empty();
                }
                continue; // gone since the tree was looked at
            }
            now.put(handle, ticks.getAsLong());
            added += Math.max(0, ticks.getAsLong() - lastTicks.getOrDefault(handle, 0L));
        }
        lastTicks.clear();
        lastTicks.putAll(now);
        return OptionalLong.of(added * TICK_NANOS);
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
