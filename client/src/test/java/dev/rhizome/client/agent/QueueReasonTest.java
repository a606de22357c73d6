package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.ExperimentReport;
import org.junit.jupiter.api.Test;

class QueueReasonTest {
    @Test
    void onlyQueuedEvaluationsGetAReasonAndItFollowsTheNodesListed() {
        ExperimentReport queued = ExperimentReport.newBuilder().setPendingUnits(3).setLeasedUnits(0)
                .setHardwareClass("cpu:log").build();
        assertThat(QueueReason.of(queued, 0)).get().asString().startsWith("no node has announced");
        assertThat(QueueReason.of(queued, 2)).get().asString().startsWith("2 node(s) announced")
                .contains("none has taken one yet").contains("another hardware class than cpu:log");
        ExperimentReport someRun = queued.toBuilder().setLeasedUnits(1).build();
        assertThat(QueueReason.of(someRun, 1)).get().asString().contains("the rest wait");
        // every pending one held by a runner, or decided: nothing is queued, nothing to explain
        assertThat(QueueReason.of(queued.toBuilder().setLeasedUnits(3).build(), 0)).isEmpty();
        assertThat(QueueReason.of(queued.toBuilder().setDecided(true).build(), 0)).isEmpty();
    }
}
