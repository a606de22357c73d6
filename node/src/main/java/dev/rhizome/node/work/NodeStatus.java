package dev.rhizome.node.work;

import dev.rhizome.node.prefs.NodePreferences;
import java.util.List;

/**
 * A running node as {@code rhizome node status} shows it: whether jobs may start (and why not),
 * each slot, how many units wait in slot buffers, the credit so far, its disk and whether peers can
 * reach it, and the coordinator it works for (null until the daemon adds them): `node status` asks
 * that coordinator for the credit it keeps for this node's key. {@code pid} is the node's process,
 * the one `kill PID` stops (the --json ready line's pid, which a reader of the status lacked).
 * {@code failures}: this run's results that measured nothing, one entry per outcome, most frequent first.
 * {@code busy}: null while the node runs the CPU jobs it was set to; else, after a CPU slot's job was
 * kept off a CPU, how many it runs now, whether it claims and what it waits for ({@link BusyBackoff};
 * its {@code resource} is "cpu"). {@code busySlots}: every back-off in force, the CPU slots' and each
 * GPU slot's (whose job starved of a CPU too), each naming its {@code resource}; empty when none.
 * {@code pausedSinceMs}: when the volunteer paused it, a pause the data directory keeps across restarts
 * (-1 where the time is not known); null while it is not paused.
 */
public record NodeStatus(String node, long pid, boolean paused, String gate, List<SlotStatus> slots, int queued,
                         Credit credit, Disk disk, Peers peers, String coordinator, List<Failures> failures,
                         BusyBackoff.Status busy, Preferences preferences, List<BusyBackoff.Status> busySlots,
                         Long pausedSinceMs) {

    public NodeStatus(String node, boolean paused, String gate, List<SlotStatus> slots, int queued, Credit credit,
                      List<Failures> failures, BusyBackoff.Status busy) {
        this(node, ProcessHandle.current().pid(), paused, gate, slots, queued, credit, null, null, null, failures, busy,
                null, List.of(), null);
    }

    /**
     * When the volunteer paused the node, kept across restarts ({@code -1}: paused, since when not
     * known); null while it is not paused.
     */
    public NodeStatus withPausedSince(Long sinceMs) {
        return new NodeStatus(node, pid, paused, gate, slots, queued, credit, disk, peers, coordinator, failures, busy,
                preferences, busySlots, sinceMs);
    }

    public NodeStatus withBusySlots(List<BusyBackoff.Status> value) {
        return new NodeStatus(node, pid, paused, gate, slots, queued, credit, disk, peers, coordinator, failures, busy,
                preferences, List.copyOf(value), pausedSinceMs);
    }

    public NodeStatus withDisk(Disk value) {
        return new NodeStatus(node, pid, paused, gate, slots, queued, credit, value, peers, coordinator, failures, busy,
                preferences, busySlots, pausedSinceMs);
    }

    public NodeStatus withPeers(Peers value) {
        return new NodeStatus(node, pid, paused, gate, slots, queued, credit, disk, value, coordinator, failures, busy,
                preferences, busySlots, pausedSinceMs);
    }

    public NodeStatus withCoordinator(String url) {
        return new NodeStatus(node, pid, paused, gate, slots, queued, credit, disk, peers, url, failures, busy,
                preferences, busySlots, pausedSinceMs);
    }

    public NodeStatus withPreferences(Preferences value) {
        return new NodeStatus(node, pid, paused, gate, slots, queued, credit, disk, peers, coordinator, failures, busy,
                value, busySlots, pausedSinceMs);
    }

    /**
     * What the volunteer let this node use, as it runs with them (the command line over
     * {@code node.properties} over the defaults), read back without the file: {@code gpus} "all",
     * "none" or the indices; {@code cpuJobs} the CPU jobs at once it was set to (before any
     * back-off, which {@code busy} shows); {@code runHours} "any time" or the windows;
     * {@code maxDownloadKbps} 0 for no cap.
     */
    public record Preferences(String gpus, int cpuJobs, boolean idleOnly, int idleMinutes, double idleMaxLoad,
                              String runHours, long maxDownloadKbps, long bundleCacheMb, long workMb, long repoMb,
                              boolean prefetch) {
        public static Preferences of(NodePreferences prefs, int gpuSlots) {
            String gpus = prefs.noGpus() ? "none" : prefs.gpuSelection().map(chosen -> String.join(",",
                    chosen.stream().sorted().map(String::valueOf).toList())).orElse("all");
            String hours = prefs.runHours().toString();
            return new Preferences(gpus, prefs.cpuJobs(gpuSlots), prefs.idleOnly(), prefs.idleMinutes(),
                    prefs.idleMaxLoad(), hours.isEmpty() ? "any time" : hours, prefs.maxDownloadKBps(),
                    prefs.bundleCacheMb(), prefs.workMb(), prefs.repoMb(), prefs.prefetch());
        }
    }

    /**
     * Whether peers can fetch from this node at the address it announces ({@code host:port}), as
     * far as it can tell: not when the address is narrower than the coordinator's reach (a LAN
     * address behind a NAT, announced to a coordinator on the internet) or the coordinator refused
     * the announcement; {@code reason} says which and what to do (null when reachable). A public
     * address behind a NAT that forwards no port cannot be told from here. {@code bundleReadersBlocked}:
     * the readers of bundle files held by a read past their patience (a disk that blocks); spares take
     * their place up to a bound, past which every upload to peers is answered BUSY. {@code clock}: this
     * node's clock against its peers' (null until the hellos of two peers were read).
     */
    public record Peers(String announced, boolean reachable, String reason, int bundleReadersBlocked, Clock clock) {
    }

    /**
     * Peers' clocks ahead of this node's by {@code peersAheadMs} (negative: behind), the median of the
     * signed hellos of {@code peers} peers read lately; {@code problem}: null within the skew allowed,
     * else what is wrong and what to do (a node whose clock is wrong has its links refused at both ends).
     */
    public record Clock(long peersAheadMs, int peers, String problem) {
    }

    /**
     * The results of one outcome (a {@code Result.Status} name: TIMEOUT, CRASH, REFUSED, UNFETCHABLE; or
     * MACHINE_BUSY, jobs kept off a CPU and not reported)
     * since the node started: how many, and the latest one's reason, unit, seed, run time and time.
     */
    public record Failures(String outcome, long count, String lastReason, String lastUnit, String lastSeed,
                           long lastRuntimeMs, long lastTimeMs) {
    }

    /**
     * {@code receiptsUnkept}: the results in the outbox the coordinator stored but whose receipts
     * the node could not write (since when, and why), null when there are none: they are what keeps
     * such an outbox from emptying.
     */
    public record Credit(long resultsReported, long experimentsProposed, long jobsRun, int outboxPending,
                         AckedResults.Unkept receiptsUnkept) {
    }

    /**
     * The git repository against its budget (measured when asked: -1 when it could not be), and the
     * bytes kept for neighbours that named this node keeper against their share.
     */
    public record Disk(long repoBytes, long repoBudgetBytes, int repoPacks, long keptBytes, long keepBudgetBytes,
                       long keepDeclined) {
    }
}
