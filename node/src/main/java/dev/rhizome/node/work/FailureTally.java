package dev.rhizome.node.work;

import dev.rhizome.proto.v1.Result;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * This node's results that measured nothing since it started, by outcome (TIMEOUT, CRASH, ...), with
 * the latest of each: `node status` said "4 errors" (the coordinator's count) and a volunteer could
 * not tell whether the commits were bad or the machine too slow for the seed's time limit.
 */
final class FailureTally {
    private final Map<Result.Status, NodeStatus.Failures> byStatus = new EnumMap<>(Result.Status.class);

    synchronized void record(Result result) {
        if (result.getStatus() == Result.Status.OK) {
            return;
        }
        NodeStatus.Failures before = byStatus.get(result.getStatus());
        byStatus.put(result.getStatus(), new NodeStatus.Failures(result.getStatus().name(),
                before == null ? 1 : before.count() + 1, result.getReason(), result.getWorkUnitId(), result.getSeed(),
                result.getRuntimeMs(), result.getTimeMs()));
    }

    /** Most frequent first. */
    synchronized List<NodeStatus.Failures> snapshot() {
        List<NodeStatus.Failures> all = new ArrayList<>(byStatus.values());
        all.sort((a, b) -> Long.compare(b.count(), a.count()));
        return all;
    }
}
