package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.cli.FollowUp;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

    @Test
    void noNodeListedOffersTheNodeCommandForTheCoordinatorAsked() {
        ExperimentReport queued = ExperimentReport.newBuilder().setPendingUnits(1).build();
        assertThat(QueueReason.of(queued, QueueReason.Seen.nodes(0), new FollowUp("http://10.0.0.5:7700", null)))
                .get().asString().contains("`rhizome node --coordinator http://10.0.0.5:7700`");
        // not known: the placeholder, for the reader to fill in
        assertThat(QueueReason.of(queued, 0)).get().asString().contains("`rhizome node --coordinator URL`");
    }

    @Test
    void theWaitCommandItOffersNamesTheDataDirectoryAndCoordinatorInUse() {
        ExperimentReport queued = ExperimentReport.newBuilder().setPendingUnits(2)
                .setExperiment(SignedEnvelope.newBuilder().setPayload(Experiment.newBuilder().setDirection("d")
                        .setCommit("c".repeat(40)).build().toByteString())).build();
        FollowUp where = new FollowUp("http://10.0.0.5:7700", Path.of("/tmp/my agent"));
        assertThat(QueueReason.of(queued, new QueueReason.Seen(3, Optional.empty(), Map.of("d", 3)), where))
                .get().asString().contains("`rhizome wait --commit " + "c".repeat(40)
                        + " --data-dir '/tmp/my agent' --coordinator http://10.0.0.5:7700` follows them");
    }

    @Test
    void theReasonSaysHowManyEvaluationsAreQueuedAheadAndHowManyAreItsParents() {
        ExperimentReport queued = ExperimentReport.newBuilder().setPendingUnits(2).setHardwareClass("cpu:log")
                .setExperiment(SignedEnvelope.newBuilder().setPayload(Experiment.newBuilder().setDirection("d")
                        .setCommit("c".repeat(40)).setParent("b".repeat(40)).build().toByteString())).build();
        QueueReason.Ahead ahead = QueueReason.Ahead.of(List.of("b".repeat(40), "e".repeat(40), "b".repeat(40),
                "c".repeat(40), "b".repeat(40)), "c".repeat(40), "b".repeat(40));
        assertThat(ahead).isEqualTo(new QueueReason.Ahead(3, 2));
        assertThat(QueueReason.of(queued, new QueueReason.Seen(1, Optional.empty(), Map.of("d", 1), ahead)))
                .get().asString().contains("busy with earlier work")
                .endsWith("; 3 evaluation(s) are queued ahead of these, 2 of them of its parent bbbbbbbbbb (the base it "
                        + "is compared with, seed by seed), each about a job's time on a free slot");
        QueueReason.Ahead next = QueueReason.Ahead.of(List.of("c".repeat(40), "b".repeat(40)), "c".repeat(40),
                "b".repeat(40));
        assertThat(QueueReason.of(queued, new QueueReason.Seen(1, Optional.empty(), Map.of("d", 1), next)))
                .get().asString().endsWith("no evaluation is queued ahead of these: they are next");
        assertThat(QueueReason.of(queued, new QueueReason.Seen(0, Optional.empty(), null, ahead)))
                .as("with no node, the queue's order is not the reason").get().asString()
                .doesNotContain("queued ahead");
    }

    @Test
    void whoseWorkHoldsTheSlotsTellsBusyFromAnotherDirectionsFromIdle() {
        ExperimentReport queued = ExperimentReport.newBuilder().setPendingUnits(2).setHardwareClass("cpu:log")
                .setExperiment(SignedEnvelope.newBuilder().setPayload(Experiment.newBuilder().setDirection("d").build()
                        .toByteString())).build();
        assertThat(QueueReason.of(queued, new QueueReason.Seen(1, Optional.empty(), Map.of("e", 2, "f", 1))))
                .get().asString().contains("all of other directions (e: 2, f: 1)");
        assertThat(QueueReason.of(queued, new QueueReason.Seen(1, Optional.empty(), Map.of("d", 1, "e", 2))))
                .get().asString().contains("busy with earlier work")
                // a node held back by its machine's load looks the same from here: say where to tell
                .contains("or their machines with their owners' (`rhizome node status` on a node says which)");
        assertThat(QueueReason.of(queued, new QueueReason.Seen(1, Optional.empty(), Map.of())))
                .get().asString().contains("no unit of any direction is leased now")
                // what a node held back by its machine's load looks like from here (the README's network, round 29)
                .contains("but not while its owner's work leaves it no free core: `rhizome node status` on a node "
                        + "says which");
        assertThat(QueueReason.of(queued, new QueueReason.Seen(0, Optional.of(""), null)))
                .as("closed comes first: no node would run them").get().asString()
                .startsWith("direction d is closed, and");
    }

    @Test
    void aListedNodeHoldingNoUnitIsIdleNotBusyAndEveryWaitingReasonSaysWhatToDo() {
        ExperimentReport queued = ExperimentReport.newBuilder().setPendingUnits(2)
                .setExperiment(SignedEnvelope.newBuilder().setPayload(Experiment.newBuilder().setDirection("d")
                        .setCommit("c".repeat(40)).setParent("b".repeat(40)).build().toByteString())).build();
        QueueReason.Classes allFit = new QueueReason.Classes("any", Map.of("cpu:x86_64", 3));
        String idle = QueueReason.of(queued, new QueueReason.Seen(3, Optional.empty(), Map.of("d", 2),
                new QueueReason.Ahead(2, 2), allFit, 1)).orElseThrow();
        assertThat(idle).contains("1 of them holds no unit of any direction now").contains("should start within a minute")
                .doesNotContain("busy").endsWith("2 evaluation(s) are queued ahead of these, 2 of them of its parent "
                        + "bbbbbbbbbb (the base it is compared with, seed by seed), each about a job's time on a free slot");
        String busy = QueueReason.of(queued, new QueueReason.Seen(3, Optional.empty(), Map.of("d", 3),
                null, allFit, 0)).orElseThrow();
        assertThat(busy).contains("their slots are busy with earlier work");
        String others = QueueReason.of(queued, new QueueReason.Seen(3, Optional.empty(), Map.of("e", 3),
                null, allFit, 0)).orElseThrow();
        for (String waiting : List.of(idle, busy, others,
                QueueReason.of(queued, new QueueReason.Seen(3, Optional.empty(), Map.of(), null, allFit, 3)).orElseThrow())) {
            assertThat(waiting).as("what the agent can do").contains("claim other work meanwhile, and `rhizome wait "
                    + "--commit " + "c".repeat(40) + "` follows them");
        }
    }

    @Test
    void nodesOfAnotherHardwareClassThanTheSeedNeedsAreNamedAsWhyNothingRuns() {
        ExperimentReport queued = ExperimentReport.newBuilder().setPendingUnits(2)
                .setExperiment(SignedEnvelope.newBuilder().setPayload(Experiment.newBuilder().setDirection("d")
                        .setCommit("c".repeat(40)).setParent("b".repeat(40)).build().toByteString())).build();
        QueueReason.Ahead ahead = new QueueReason.Ahead(3, 0);
        QueueReason.Classes noneFits = new QueueReason.Classes("gpu:nvidia", Map.of("cpu:x86_64", 2));

        assertThat(QueueReason.of(queued, new QueueReason.Seen(2, Optional.empty(), Map.of("d", 1), ahead, noneFits)))
                .get().asString().isEqualTo("2 node(s) announced in the last 10 minutes (2 cpu:x86_64), and none is of "
                        + "the hardware class the seed needs (gpu:nvidia), so none of them runs these: they wait for a "
                        + "node of that class (`rhizome node` on such a machine; `rhizome node doctor` shows a machine's "
                        + "class)");

        QueueReason.Classes oneFits = new QueueReason.Classes("gpu:nvidia",
                Map.of("cpu:x86_64", 2, "gpu:nvidia-h100", 1));
        assertThat(QueueReason.of(queued, new QueueReason.Seen(3, Optional.empty(), Map.of("d", 1), ahead, oneFits)))
                .get().asString().startsWith("3 node(s) announced in the last 10 minutes (1 of them of the hardware "
                        + "class the seed needs, gpu:nvidia) and none has taken one yet: their slots are busy")
                .contains("3 evaluation(s) are queued ahead");
        QueueReason.Classes allFit = new QueueReason.Classes("any", Map.of("cpu:x86_64", 1));
        assertThat(QueueReason.of(queued, new QueueReason.Seen(1, Optional.empty(), Map.of(), ahead, allFit)))
                .as("every node can run them: the class is not the reason").get().asString()
                .contains("no unit of any direction is leased now: the nodes have not asked for work")
                .doesNotContain("hardware class");
    }

    /**
     * The coordinator keeps the proposer's network off its commit's trials; where the only fitting
     * nodes are there, the report says so, and the reason names the wait and what ends it rather
     * than "their slots are busy" (round 30 left it unnamed).
     */
    @Test
    void evaluationsWhoseOnlyFittingNodesShareTheProposersNetworkSayTheyWaitForAnIndependentRunner() {
        ExperimentReport waiting = ExperimentReport.newBuilder().setPendingUnits(2).setWaitingForIndependentRunner(true)
                .setProposersNetworkNodes(2)
                .setExperiment(SignedEnvelope.newBuilder().setPayload(Experiment.newBuilder().setDirection("d")
                        .setCommit("c".repeat(40)).setParent("b".repeat(40)).build().toByteString())).build();
        QueueReason.Classes fit = new QueueReason.Classes("gpu:nvidia", Map.of("gpu:nvidia-h100", 2, "cpu:x86_64", 1));
        String why = QueueReason.of(waiting, new QueueReason.Seen(3, Optional.empty(), Map.of("d", 1),
                new QueueReason.Ahead(0, 0), fit, 2)).orElseThrow();
        assertThat(why).startsWith(QueueReason.INDEPENDENT_RUNNER + ": the only node(s) seen in the last 10 minutes "
                        + "that can run these (2)")
                .contains("announces from another network").contains("no node of another network has announced for "
                        + "10 minutes")
                .doesNotContain("busy").doesNotContain("should start within a minute").doesNotContain("queued ahead");
        assertThat(QueueReason.of(waiting.toBuilder().setWaitingForIndependentRunner(false).build(),
                new QueueReason.Seen(3, Optional.empty(), Map.of("d", 1), new QueueReason.Ahead(0, 0), fit, 2)))
                .get().asString().doesNotStartWith(QueueReason.INDEPENDENT_RUNNER);
        assertThat(QueueReason.of(waiting, new QueueReason.Seen(0, Optional.empty(), null)))
                .as("no node at all comes first").get().asString().startsWith("no node has announced");
    }

    /**
     * Evaluations the coordinator offers only to a node with a core to spare (given back starved
     * from two networks) say so, and when any node may take them: "their slots are busy" was said
     * of units no loaded node would be handed (round 36).
     */
    @Test
    void evaluationsWaitingForACoreToSpareSaySoAndWhenAnyNodeMayTakeThem() {
        ExperimentReport queued = ExperimentReport.newBuilder().setPendingUnits(2)
                .setExperiment(SignedEnvelope.newBuilder().setPayload(Experiment.newBuilder().setDirection("d")
                        .setCommit("c".repeat(40)).setParent("b".repeat(40)).build().toByteString())).build();
        QueueReason.Seen seen = new QueueReason.Seen(3, Optional.empty(), Map.of("d", 1), new QueueReason.Ahead(0, 0),
                null, 0, null, new QueueReason.CoreToSpare(2, 1_700_000_000_000L));
        assertThat(QueueReason.of(queued, seen)).get().asString()
                .startsWith("2 of its evaluation(s) were given back unrun by loaded machines")
                .contains("(core_to_spare)").contains("any node may take them from 2023-11-14T22:13:20Z")
                .doesNotContain("busy").doesNotContain("queued ahead");
        assertThat(QueueReason.of(queued, new QueueReason.Seen(3, Optional.empty(), Map.of("d", 1),
                new QueueReason.Ahead(0, 0), null, 0, null, null))).get().asString().doesNotContain("core_to_spare");
    }

    /**
     * A node its volunteer paused (or that says it claims nothing now) is not an idle runner: the
     * waiter was told the evaluations "should start within a minute" of a paused node.
     */
    @Test
    void nodesThatSayTheyClaimNothingAreNotCountedIdle() {
        ExperimentReport queued = ExperimentReport.newBuilder().setPendingUnits(2).setHardwareClass("cpu:log")
                .setExperiment(SignedEnvelope.newBuilder().setPayload(Experiment.newBuilder().setDirection("d")
                        .setCommit("c".repeat(40)).build().toByteString())).build();
        String none = QueueReason.of(queued, new QueueReason.Seen(2, Optional.empty(), Map.of("e", 1), null, null, 0,
                new QueueReason.NotClaiming(2, 1, Map.of("outside run-hours 09:00-17:00", 1)))).orElseThrow();
        assertThat(none).contains("none of them claims work now")
                .contains("1 is paused by its volunteer, 1 claims nothing now (outside run-hours 09:00-17:00)")
                .contains("`rhizome node resume`").doesNotContain("should start within a minute");

        // none paused: no `node resume` to run (an agent was offered it for a node held back by its machine's load)
        String loaded = QueueReason.of(queued, new QueueReason.Seen(2, Optional.empty(), Map.of("e", 1), null, null, 0,
                new QueueReason.NotClaiming(2, 0, Map.of("backing off: a job was kept off a CPU", 2)))).orElseThrow();
        assertThat(loaded).contains("2 claim nothing now (backing off: a job was kept off a CPU x2)")
                .contains("(as each one's reason says)").doesNotContain("node resume");

        String some = QueueReason.of(queued, new QueueReason.Seen(3, Optional.empty(), Map.of("e", 1), null, null, 1,
                new QueueReason.NotClaiming(3, 2, Map.of()))).orElseThrow();
        assertThat(some).contains("(of those that can run them, 2 are paused by their volunteers)")
                .contains("1 of them holds no unit of any direction now");
    }
    /**
     * What the queued evaluations wait for, as keys an agent branches on (waiting_for and, for a
     * core to spare, open_to_any_ms), in `wait --json`'s outcome: only queued_reason's words said
     * it, and an agent could not decide from a key whether to wait or move on (round 37).
     */
    @Test
    void theOutcomeSaysInKeysWhatQueuedEvaluationsWaitForAndWhenAnyNodeMayTakeThem() {
        ExperimentReport queued = ExperimentReport.newBuilder().setPendingUnits(2)
                .setExperiment(SignedEnvelope.newBuilder().setPayload(Experiment.newBuilder().setDirection("d")
                        .setCommit("c".repeat(40)).setParent("b".repeat(40)).build().toByteString())).build();
        QueueReason.Seen starved = new QueueReason.Seen(3, Optional.empty(), Map.of("d", 1), new QueueReason.Ahead(0, 0),
                null, 0, null, new QueueReason.CoreToSpare(2, 1_700_000_000_000L));
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        OutcomeNextSteps.addQueued(o, "c".repeat(40), queued, QueueReason.queued(queued, starved, FollowUp.BARE),
                FollowUp.BARE);
        assertThat(o.get("waiting_for").getAsString()).isEqualTo("core_to_spare");
        assertThat(o.get("open_to_any_ms").getAsLong()).isEqualTo(1_700_000_000_000L);
        assertThat(o.get("queued_reason").getAsString()).contains("(core_to_spare)");

        // each wait its own word, in the order the reason weighs them; only core_to_spare has a time
        assertThat(QueueReason.queued(queued, QueueReason.Seen.nodes(0), FollowUp.BARE).orElseThrow())
                .isEqualTo(new QueueReason.Queued(QueueReason.of(queued, 0).orElseThrow(), "node", null));
        assertThat(QueueReason.waitingFor(queued, new QueueReason.Seen(3, Optional.of("done"), Map.of()))).isEqualTo("direction_open");
        assertThat(QueueReason.waitingFor(queued.toBuilder().setWaitingForIndependentRunner(true).build(), starved))
                .isEqualTo("independent_runner");
        assertThat(QueueReason.waitingFor(queued, new QueueReason.Seen(3, Optional.empty(), Map.of("d", 1), null,
                new QueueReason.Classes("gpu", Map.of("cpu:x86_64", 3))))).isEqualTo("hardware_class");
        assertThat(QueueReason.waitingFor(queued, new QueueReason.Seen(2, Optional.empty(), Map.of("e", 1), null, null, 0,
                new QueueReason.NotClaiming(2, 2, Map.of())))).isEqualTo("node_claiming");
        assertThat(QueueReason.waitingFor(queued, new QueueReason.Seen(3, Optional.empty(), Map.of("d", 3))))
                .isEqualTo("free_slot");

        // decided: no wait, keys null
        com.google.gson.JsonObject decided = new com.google.gson.JsonObject();
        OutcomeNextSteps.addQueued(decided, "c".repeat(40), queued.toBuilder().setDecided(true).setHasMetric(true).build(),
                QueueReason.queued(queued, starved, FollowUp.BARE), FollowUp.BARE);
        assertThat(decided.get("waiting_for").isJsonNull()).isTrue();
        assertThat(decided.get("open_to_any_ms").isJsonNull()).isTrue();
    }
}
