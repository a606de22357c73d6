package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.work.ReceiptBook;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole `rhizome node` process SIGKILLed between two writes of a result's way out, then started
 * again on its data directory: the coordinator holds the result once, the node keeps one receipt for
 * it, and nothing is left in its outbox.
 */
class ResultKeptKillTest {
    @TempDir
    Path dir;

    /**
     * Killed between the two writes that end a job (crash point {@code result-kept}): its result signed and
     * kept in the outbox, its unit not yet cleared from the slot's buffer. The restart must not run the unit
     * again (a second run signs a different result, which the coordinator refuses for good, and wastes the
     * job) and must deliver the kept one.
     */
    @Test
    void aNodeKilledAfterKeepingItsResultDeliversItOnceAndDoesNotRunTheUnitAgain() throws Exception {
        Path node = dir.resolve("node");
        NodeLayout layout = new NodeLayout(node);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = TestNetwork.publishWithDirection(operator, node, TestNetwork.slowSeed(3, 300), "d");
            killedAt(CrashPoints.RESULT_KEPT, node, coordinator);
            List<String> buffered = bufferedUnits(layout);
            assertThat(buffered).as("the unit still buffered at the kill").hasSize(1);
            String unit = buffered.get(0);
            assertThat(layout.outbox().resolve(ResultOutbox.fileName(unit))).as("its result, kept").isRegularFile();
            assertThat(stored(operator, seed, unit)).as("sent before the kill").isEmpty();

            String restarted = restartedUntilAcknowledged(node, coordinator, unit);
            assertThat(restarted).as("the unit run again after the restart").doesNotContain("(unit " + unit + ")")
                    .doesNotContain("resuming unit " + unit);
            assertDeliveredOnceWithItsReceipt(operator, seed, layout, unit);
            assertThat(bufferedUnits(layout)).as("units buffered after the stop").doesNotContain(unit);
        }
    }

    /**
     * Killed after the coordinator acknowledged the result and its receipt was kept, before the result
     * left the outbox (crash point {@code receipt-kept}): the restart sends it again, is told it is
     * already recorded, and keeps the same receipt in the same file; the book holds one receipt for the
     * result, not two (the storm's check counts them against the coordinator's results).
     */
    @Test
    void aNodeKilledAfterKeepingItsReceiptSendsTheResultAgainAndKeepsOneReceipt() throws Exception {
        Path node = dir.resolve("node");
        NodeLayout layout = new NodeLayout(node);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = TestNetwork.publishWithDirection(operator, node, TestNetwork.slowSeed(3, 300), "d");
            killedAt(CrashPoints.RECEIPT_KEPT, node, coordinator);
            List<Result> results = SignedResults.check(operator.results(null, seed.getCommit()).getEnvelopesList())
                    .valid().stream().map(v -> v.record()).toList();
            assertThat(results).as("stored before the kill").hasSize(1);
            String unit = results.get(0).getWorkUnitId();
            assertThat(layout.outbox().resolve(ResultOutbox.fileName(unit))).as("still in the outbox").isRegularFile();
            List<String> keptBefore = names(layout.receipts());
            assertThat(keptBefore).as("its receipt, kept before the kill").hasSize(1);

            restartedUntilAcknowledged(node, coordinator, unit);
            assertDeliveredOnceWithItsReceipt(operator, seed, layout, unit);
            assertThat(names(layout.receipts())).as("the receipt book's files").containsAll(keptBefore);
        }
    }

    /** A node started held at {@code point}, SIGKILLed there once it says so. */
    private void killedAt(String point, Path node, Coordinator coordinator) throws Exception {
        Process first = RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", node.toString(),
                "--coordinator", coordinator.url()), dir.resolve("node-1.log"), RealProcess.crashPoint(point));
        try {
            await().atMost(Duration.ofMinutes(4)).until(() -> !first.isAlive()
                    || log("node-1.log").contains("at crash point " + point));
            assertThat(first.isAlive()).as("held at %s; its log: %s", point, log("node-1.log")).isTrue();
        } finally {
            RealProcess.kill(first);
        }
    }

    /** The node started again until it has {@code unit}'s result acknowledged, then stopped; its log. */
    private String restartedUntilAcknowledged(Path node, Coordinator coordinator, String unit) throws Exception {
        String file = ResultOutbox.fileName(unit);
        Process second = RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", node.toString(),
                "--coordinator", coordinator.url()), dir.resolve("node-2.log"));
        try {
            await().atMost(Duration.ofSeconds(240)).until(() -> log("node-2.log").contains("(acknowledged " + file + ")"));
            assertThat(new NodeLayout(node).outbox().resolve(file)).as("the outbox once acknowledged").doesNotExist();
        } finally {
            RealProcess.stop(second);
        }
        return log("node-2.log");
    }

    private static void assertDeliveredOnceWithItsReceipt(CoordinatorClient operator, Seed seed, NodeLayout layout,
            String unit) throws Exception {
        assertThat(stored(operator, seed, unit)).as("the unit's results at the coordinator").hasSize(1);
        assertThat(names(layout.outbox().resolve("refused"))).as("results refused for good").isEmpty();
        assertThat(SignedResults.check(new ReceiptBook(layout.receipts()).all().stream().map(KeptReceipt::getResult)
                .toList()).valid().stream().filter(v -> v.record().getWorkUnitId().equals(unit)))
                .as("the result's receipts, kept").hasSize(1);
    }

    private String log(String name) throws IOException {
        return RealProcess.output(dir.resolve(name));
    }

    private static List<Result> stored(CoordinatorClient reader, Seed seed, String unit) throws Exception {
        return SignedResults.check(reader.results(null, seed.getCommit()).getEnvelopesList()).valid().stream()
                .map(v -> v.record()).filter(r -> r.getWorkUnitId().equals(unit)).toList();
    }

    private static List<String> names(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static List<String> bufferedUnits(NodeLayout layout) throws IOException {
        List<String> units = new java.util.ArrayList<>();
        for (String n : names(layout.buffer())) {
            if (n.endsWith(".unit")) {
                units.add(WorkUnit.parseFrom(Files.readAllBytes(layout.buffer().resolve(n))).getId());
            }
        }
        return units;
    }
}
