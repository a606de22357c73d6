package dev.rhizome.node.work;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * This node's results that measured nothing since it started, by outcome (TIMEOUT, CRASH, ...), with
 * the latest of each: `node status` said "4 errors" (the coordinator's count) and a volunteer could
 * not tell whether the commits were bad or the machine too slow for the seed's time limit. Beside the
 * results' outcomes, {@value #MACHINE_BUSY}: jobs this machine kept off a CPU until their wall-clock
 * bound, not reported at all (job.MachineBusyException).
 */
final class FailureTally {
    static final String MACHINE_BUSY = "MACHINE_BUSY";

    private final Map<String, NodeStatus.Failures> byOutcome = new HashMap<>();

    synchronized void record(Result result) {
        if (result.getStatus() == Result.Status.OK) {
            return;
        }
        add(result.getStatus().name(), result.getReason(), result.getWorkUnitId(), result.getSeed(),
                result.getRuntimeMs(), result.getTimeMs());
    }

    synchronized void recordNotRun(WorkUnit unit, long runtimeMs, String reason, long timeMs) {
        add(MACHINE_BUSY, reason, unit.getId(), unit.getSeed(), runtimeMs, timeMs);
    }

    private void add(String outcome, String reason, String unit, String seed, long runtimeMs, long timeMs) {
        NodeStatus.Failures before = byOutcome.get(outcome);
        byOutcome.put(outcome, new NodeStatus.Failures(outcome, before == null ? 1 : before.count() + 1, reason, unit,
                seed, runtimeMs, timeMs));
    }

    /** Most frequent first. */
    synchronized List<NodeStatus.Failures> snapshot() {
        List<NodeStatus.Failures> all = new ArrayList<>(byOutcome.values());
        all.sort((a, b) -> Long.compare(b.count(), a.count()));
        return all;
    }
}
