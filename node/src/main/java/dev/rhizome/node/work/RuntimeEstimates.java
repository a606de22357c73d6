package dev.rhizome.node.work;

import dev.rhizome.node.job.JobClock;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * How long a unit's job is expected to take on this node: the longest of the last runs of its
 * seed here (a pessimistic guess keeps the buffer from holding what it cannot finish), and
 * before any run the manifest's timeout. Never more than a job's wall-clock bound
 * ({@link JobClock}), the one bound every job respects. Thread-safe: slots record and ask concurrently.
 */
public final class RuntimeEstimates {
    private static final int KEEP = 8;
    private final Map<String, Deque<Long>> recent = new HashMap<>();

    public synchronized void record(String seed, long runtimeMs) {
        Deque<Long> runs = recent.computeIfAbsent(seed, s -> new ArrayDeque<>());
        runs.addLast(runtimeMs);
        while (runs.size() > KEEP) {
            runs.removeFirst();
        }
    }

    public synchronized long expectedMs(WorkUnit unit) {
        long timeoutMs = Math.max(1, unit.getManifest().getTimeoutSeconds()) * 1000L;
        Deque<Long> runs = recent.get(unit.getSeed());
        if (runs == null || runs.isEmpty()) {
            return timeoutMs;
        }
        // A job charged its CPU time may run to its wall-clock bound on a busy machine (JobClock): a node
        // whose jobs did is expected to again, and claims no unit ahead that it could not start in time.
        long boundMs = timeoutMs * JobClock.WALL_BOUND_FACTOR;
        return Math.min(boundMs, runs.stream().mapToLong(Long::longValue).max().orElse(timeoutMs));
    }
}
