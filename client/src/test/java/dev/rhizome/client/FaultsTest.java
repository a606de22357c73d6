package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crashes of real processes: SIGKILL, not a polite close. */
class FaultsTest {
    @TempDir
    Path dir;

    @Test
    void nodeKilledInTheMiddleOfAJobLeavesItsLeaseToExpireAndTheUnitIsIssuedAgain() throws Exception {
        SortedMap<String, byte[]> seedFiles = TestNetwork.slowSeed(60, 60);
        Path nodeA = dir.resolve("node-a");
        Path nodeB = dir.resolve("node-b");
        TestNetwork.seedInto(nodeA, seedFiles);
        TestNetwork.seedInto(nodeB, seedFiles);
        Identity idA = IdentityStore.loadOrCreate(nodeA);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofSeconds(5)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = publish(operator, dir.resolve("operator-repo"), seedFiles);
            operator.openDirection(direction(operator, seed));

            Process a = new ProcessBuilder(TestNetwork.launcher("node", "--data-dir", nodeA.toString(),
                    "--coordinator", coordinator.url()))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("node-a.log").toFile()).start();
            UnitStatus leasedToA = await().atMost(Duration.ofSeconds(60)).until(
                    () -> operator.units("LEASED").getUnitsList().stream()
                            .filter(u -> u.getHolder().equals(idA.publicId().toByteString())).findFirst().orElse(null),
                    u -> u != null);
            // The job running: its `java Train.java` process started. Not its first step's line: node A is a
            // `rhizome node` process, its job at a volunteer's nice 19, and at load 30 on 2 cores that
            // printed nothing in 3 minutes (2026-12-04); the kill comes mid-job either way.
            await().atMost(Duration.ofMinutes(3)).until(() -> a.descendants()
                    .anyMatch(p -> p.info().commandLine().orElse("").contains("Train.java")));
            List<ProcessHandle> job = a.descendants().toList();
            // what follows needs it gone: a 10 s wait whose answer went unread let a slow exit race the next step
            assertThat(a.destroyForcibly().waitFor(60, TimeUnit.SECONDS)).as("killed").isTrue();
            job.forEach(ProcessHandle::destroyForcibly);

            // The base runs at several random seeds: wait for the result of the unit A was running.
            String unitOfA = leasedToA.getUnit().getId();
            try (NodeDaemon b = TestNetwork.node(NodeConfig.defaults(nodeB, coordinator.url()))) {
                await().atMost(Duration.ofSeconds(120)).until(() -> SignedResults.check(
                        operator.results(null, seed.getCommit()).getEnvelopesList()).valid().stream()
                        .anyMatch(v -> v.record().getWorkUnitId().equals(unitOfA)));
            }
            Result result = SignedResults.check(operator.results(null, seed.getCommit()).getEnvelopesList())
                    .valid().stream().map(v -> v.record()).filter(r -> r.getWorkUnitId().equals(unitOfA))
                    .findFirst().orElseThrow();
            assertThat(result.getWorkUnitId()).isEqualTo(leasedToA.getUnit().getId());
            assertThat(result.getRunner()).isNotEqualTo(idA.publicId().toByteString());
            assertThat(result.getStatus()).isEqualTo(Result.Status.OK);
            UnitStatus done = operator.units("DONE").getUnitsList().stream()
                    .filter(u -> u.getUnit().getId().equals(result.getWorkUnitId())).findFirst().orElseThrow();
            assertThat(done.getExpiredLeases()).isGreaterThanOrEqualTo(1);
            assertThat(done.getAttempts()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void coordinatorKilledAndRestartedHasLostNoAcknowledgedResult() throws Exception {
        Path data = dir.resolve("coordinator");
        Files.createDirectories(data);
        Identity runner = Identity.generate();
        Process coordinator = startCoordinator(data);
        String url = awaitUrl(data, coordinator);
        CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
        CoordinatorClient node = new CoordinatorClient(url, runner);
        Seed seed = publish(operator, dir.resolve("operator-repo"), TestNetwork.slowSeed(5, 30));
        operator.openDirection(direction(operator, seed));
        WorkUnit unit = node.claim(ClaimRequest.newBuilder().setNode(runner.publicId().toByteString())
                .setHardwareClass("cpu:test").addKinds(WorkUnit.Kind.EVALUATE)
                .setTimeMs(System.currentTimeMillis()).build()).getUnit();
        Result result = Result.newBuilder().setWorkUnitId(unit.getId()).setSeed(unit.getSeed())
                .setDirection(unit.getDirection()).setCommit(unit.getCommit()).setStatus(Result.Status.OK)
                .setMetricName("val_bpb").setMetric(1.25).setHardwareClass("cpu:test").setRuntimeMs(1000)
                .setRunner(runner.publicId().toByteString()).setTimeMs(System.currentTimeMillis())
                .setBudget(unit.getBudget()).setRandomSeed(unit.getRandomSeed()).build();
        Ack ack = node.reportResult(node.signed(result));
        assertThat(ack).isNotNull();

        assertThat(coordinator.destroyForcibly().waitFor(60, TimeUnit.SECONDS)).as("killed").isTrue();
        Files.deleteIfExists(data.resolve("coordinator.url"));
        Process restarted = startCoordinator(data);
        try {
            String url2 = awaitUrl(data, restarted);
            CoordinatorClient reader = new CoordinatorClient(url2, Identity.generate());
            SignedResults stored = SignedResults.check(reader.results(null, null).getEnvelopesList());
            assertThat(stored.invalid()).isEmpty();
            assertThat(stored.valid()).extracting(v -> v.record()).containsExactly(result);
            assertThat(reader.units("DONE").getUnitsList()).extracting(u -> u.getUnit().getId()).contains(unit.getId());
        } finally {
            restarted.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A daemon caches and cleans up its data directory as its own: a second one must not start on
     * it. A second node is refused before anything else, its sandbox's trial job (seconds) included.
     */
    @Test
    void aSecondDaemonOnADataDirectoryInUseRefusesToStartAndNamesIt() throws Exception {
        Path data = dir.resolve("coordinator");
        Files.createDirectories(data);
        Process coordinator = startCoordinator(data);
        Process node = null;
        try {
            String url = awaitUrl(data, coordinator);
            Process second = startCoordinator(data);
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("second coordinator exits").isTrue();
            assertThat(second.exitValue()).isNotZero();
            assertThat(Files.readString(dir.resolve("coordinator.log")))
                    .contains("the coordinator data directory " + data.toAbsolutePath()
                            + " is in use by another running process (pid " + coordinator.pid() + ")");
            assertThat(coordinator.isAlive()).isTrue();

            Path nodeDir = dir.resolve("node");
            node = new ProcessBuilder(TestNetwork.launcher("node", "--data-dir", nodeDir.toString(), "--coordinator", url))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("node-1.log").toFile()).start();
            Process running = node;
            await().atMost(Duration.ofSeconds(60)).until(
                    () -> Files.exists(new NodeLayout(nodeDir).endpointFile()) || !running.isAlive());
            Process twin = new ProcessBuilder(TestNetwork.launcher("node", "--data-dir", nodeDir.toString(), "--coordinator", url))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("node-2.log").toFile()).start();
            assertThat(twin.waitFor(60, TimeUnit.SECONDS)).as("second node exits").isTrue();
            assertThat(twin.exitValue()).isNotZero();
            assertThat(Files.readString(dir.resolve("node-2.log")))
                    .contains("the node data directory " + nodeDir.toAbsolutePath() + " is in use by another running process (pid "
                            + node.pid() + ")");
            assertThat(Files.readString(dir.resolve("node-2.log"))).as("refused before its sandbox's trial job")
                    .doesNotContain("jobs run sandboxed");
            assertThat(node.isAlive()).as("the first node keeps running").isTrue();
        } finally {
            if (node != null) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            coordinator.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process startCoordinator(Path data) throws Exception {
        return new ProcessBuilder(TestNetwork.launcher("coordinator", "--data-dir", data.toString(), "--port", "0"))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("coordinator.log").toFile()))
                .start();
    }

    private static String awaitUrl(Path data, Process p) throws Exception {
        Path file = data.resolve("coordinator.url");
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(file) || !p.isAlive());
        assertThat(p.isAlive()).as("coordinator process is running").isTrue();
        return Files.readString(file).trim();
    }

    private static Seed publish(CoordinatorClient operator, Path repoDir, SortedMap<String, byte[]> files) throws Exception {
        try (var repo = NodeRepository.open(repoDir)) {
            return SeedPublisher.publish(repo, files, operator, Clock.systemUTC());
        }
    }

    private static Direction direction(CoordinatorClient operator, Seed seed) {
        return Direction.newBuilder().setName("d").setSeed(seed.getName()).setBaseCommit(seed.getCommit())
                .setOpenedBy(operator.identity().publicId().toByteString()).setOpenedMs(System.currentTimeMillis())
                .build();
    }
}
