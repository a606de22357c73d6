package dev.rhizome.node.prefs;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the volunteer allows the node to use. Every field has a flag of the same name on
 * {@code rhizome node} and a key of the same name in {@code node.properties}.
 *
 * @param gpus            indices (nvidia-smi's) of the GPUs to run jobs on; empty means all
 * @param noGpus          run no GPU jobs at all
 * @param cpuJobs         CPU jobs at once; -1 means the default (1 without GPUs, 0 with)
 * @param idleOnly        start jobs only while the machine is idle ({@link IdleSignals})
 * @param idleMinutes     minutes without terminal input that count as idle
 * @param idleMaxLoad     the 1-minute load average per core, not counting this node's jobs, below which the machine is idle
 * @param runHours        local-time windows in which jobs may start
 * @param maxDownloadKBps bundle downloads for this node's jobs, in KiB/s in all; 0 means no cap
 * @param bundleCacheMb   the cache of bundles served to peers is pruned (oldest first) to this
 * @param workMb          job logs and leftover work directories are pruned (oldest first) to this
 * @param prefetch        claim and fetch a slot's next unit while its job runs
 * @param repoMb          the git repository's objects are kept to this: past it, commits held only to relay
 *                        (then those kept for neighbours) are given up, oldest first; half of it at most goes
 *                        to commits neighbours name this node to keep
 */
public record NodePreferences(Set<Integer> gpus, boolean noGpus, int cpuJobs, boolean idleOnly, int idleMinutes,
        double idleMaxLoad, TimeWindows runHours, long maxDownloadKBps, long bundleCacheMb,
        long workMb, boolean prefetch, long repoMb) {
    /** The repository budget unless told otherwise. */
    public static final long DEFAULT_REPO_MB = 4096;

    public NodePreferences {
        gpus = Set.copyOf(new TreeSet<>(gpus));
        if (cpuJobs < -1) {
            throw new IllegalArgumentException("cpu-jobs must be 0 or more, got " + cpuJobs);
        }
        if (idleMinutes < 0 || idleMaxLoad < 0 || maxDownloadKBps < 0 || bundleCacheMb < 0 || workMb < 0 || repoMb < 0) {
            throw new IllegalArgumentException("idle-minutes, idle-max-load and the caps must not be negative");
        }
    }

    /** Preferences with the default repository budget. */
    public NodePreferences(Set<Integer> gpus, boolean noGpus, int cpuJobs, boolean idleOnly, int idleMinutes,
            double idleMaxLoad, TimeWindows runHours, long maxDownloadKBps, long bundleCacheMb, long workMb,
            boolean prefetch) {
        this(gpus, noGpus, cpuJobs, idleOnly, idleMinutes, idleMaxLoad, runHours, maxDownloadKBps, bundleCacheMb, workMb,
                prefetch, DEFAULT_REPO_MB);
    }

    public static NodePreferences defaults() {
        return new NodePreferences(Set.of(), false, -1, false, 5, 0.3, TimeWindows.ANY_TIME, 0, 1024, 2048, true,
                DEFAULT_REPO_MB);
    }

    /** Bytes of neighbours' commits this node keeps when named keeper: half its repository budget. */
    public long keepBytes() {
        return (repoMb << 20) / 2;
    }

    public int cpuJobs(int gpuSlots) {
        return cpuJobs >= 0 ? cpuJobs : (gpuSlots == 0 ? 1 : 0);
    }

    public Optional<Set<Integer>> gpuSelection() {
        return gpus.isEmpty() ? Optional.empty() : Optional.of(gpus);
    }

    public NodePreferences withCpuJobs(int value) {
        return new NodePreferences(gpus, noGpus, value, idleOnly, idleMinutes, idleMaxLoad, runHours, maxDownloadKBps,
                bundleCacheMb, workMb, prefetch, repoMb);
    }

    public NodePreferences withPrefetch(boolean value) {
        return new NodePreferences(gpus, noGpus, cpuJobs, idleOnly, idleMinutes, idleMaxLoad, runHours, maxDownloadKBps,
                bundleCacheMb, workMb, value, repoMb);
    }

    public NodePreferences withRepoMb(long value) {
        return new NodePreferences(gpus, noGpus, cpuJobs, idleOnly, idleMinutes, idleMaxLoad, runHours, maxDownloadKBps,
                bundleCacheMb, workMb, prefetch, value);
    }

    public NodePreferences withRunHours(TimeWindows value) {
        return new NodePreferences(gpus, noGpus, cpuJobs, idleOnly, idleMinutes, idleMaxLoad, value, maxDownloadKBps,
                bundleCacheMb, workMb, prefetch, repoMb);
    }
}
