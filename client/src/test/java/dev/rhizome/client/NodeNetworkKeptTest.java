package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.work.ResultOutbox;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node keeps its coordinator's network id in its data dir ({@code network}), and what it left
 * signed version 1 in its outbox before the upgrade is signed again for the network and taken, not
 * moved aside; a data dir kept for another network is said loudly and not followed. A real
 * coordinator and a real node process on loopback.
 */
class NodeNetworkKeptTest {
    @TempDir
    Path dir;

    @Test
    void aResultLeftSignedVersionOneInTheOutboxIsSignedAgainAndTaken() throws Exception {
        Path node = dir.resolve("node");
        try (SeededCoordinator network = SeededCoordinator.start(dir, dir.resolve("volunteer"), TestNetwork.slowSeed(5, 30))) {
            Identity self = IdentityStore.loadOrCreate(node);
            CoordinatorClient asNode = new CoordinatorClient(network.url(), self);
            WorkUnit unit = asNode.claim(ClaimRequest.newBuilder().setNode(self.publicId().toByteString())
                    .setHardwareClass("cpu:test").addKinds(WorkUnit.Kind.EVALUATE)
                    .setTimeMs(System.currentTimeMillis()).build()).getUnit();
            Result result = Result.newBuilder().setWorkUnitId(unit.getId()).setSeed(unit.getSeed())
                    .setDirection(unit.getDirection()).setCommit(unit.getCommit()).setStatus(Result.Status.OK)
                    .setMetricName("val_bpb").setMetric(1.25).setHardwareClass("cpu:test").setRuntimeMs(1000)
                    .setRunner(self.publicId().toByteString()).setTimeMs(System.currentTimeMillis())
                    .setBudget(unit.getBudget()).setRandomSeed(unit.getRandomSeed()).build();
            NodeLayout layout = new NodeLayout(node);
            // as a node before round 15 left it: signed for no network, waiting for the coordinator
            new ResultOutbox(layout.outbox()).put(unit.getId(), Envelopes.sign(self, result));

            Process p = node(node, network.url(), "node.log", "--cpu-jobs", "0");
            try {
                await().atMost(Duration.ofMinutes(3)).until(() -> stored(network.operator(), unit.getId()) != null
                        || !p.isAlive());
                assertThat(p.isAlive()).as("node running (log: %s)", log("node.log")).isTrue();
                SignedEnvelope taken = stored(network.operator(), unit.getId());
                assertThat(taken.getVersion()).isEqualTo(Envelopes.VERSION);
                assertThat(taken.getNetwork()).isEqualTo(network.operator().network());
                assertThat(Envelopes.open(taken, Result.getDefaultInstance()).record()).isEqualTo(result);
                await().atMost(Duration.ofMinutes(1)).until(() -> !Files.exists(layout.outbox()
                        .resolve(ResultOutbox.fileName(unit.getId()))));
                assertThat(layout.outbox().resolve("refused")).doesNotExist();
                // the network id is kept in the data dir once learnt
                assertThat(Files.readAllLines(node.resolve("network"), StandardCharsets.UTF_8).get(0))
                        .isEqualTo(network.operator().network());
            } finally {
                p.destroy();
                p.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aDataDirKeptForAnotherNetworkIsSaidAndNotFollowed() throws Exception {
        Path node = dir.resolve("node");
        Files.createDirectories(node);
        Files.writeString(node.resolve("network"), "net-before\nhttp://127.0.0.1:1\n");
        try (SeededCoordinator network = SeededCoordinator.start(dir, dir.resolve("volunteer"), TestNetwork.slowSeed(5, 30))) {
            Process p = node(node, network.url(), "node.log", "--cpu-jobs", "0");
            try {
                await().atMost(Duration.ofMinutes(3)).until(() -> log("node.log").contains("WRONG NETWORK")
                        || !p.isAlive());
                assertThat(log("node.log")).contains("serves network " + network.operator().network())
                        .contains("network net-before").contains("delete " + node.resolve("network"));
                assertThat(Files.readString(node.resolve("network"))).startsWith("net-before\n");
            } finally {
                p.destroy();
                p.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    private static SignedEnvelope stored(CoordinatorClient reader, String unitId) throws Exception {
        for (SignedEnvelope e : reader.results(null, null).getEnvelopesList()) {
            if (Envelopes.open(e, Result.getDefaultInstance()).record().getWorkUnitId().equals(unitId)) {
                return e;
            }
        }
        return null;
    }

    private Process node(Path data, String url, String logName, String... more) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("node", "--data-dir", data.toString(), "--coordinator", url));
        args.addAll(List.of(more));
        return new ProcessBuilder(TestNetwork.launcher(args.toArray(String[]::new))).redirectErrorStream(true)
                .redirectOutput(dir.resolve(logName).toFile()).start();
    }

    private String log(String name) throws Exception {
        Path file = dir.resolve(name);
        return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    }
}
