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
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job longer than the coordinator's fixed lease, through a real coordinator and a real node: the
 * node renews the lease while the job runs, so the unit is never taken back from it, its result is
 * the unit's, and nothing is charged to it. Before, the node renewed once, before the job: the lease
 * ran out mid-job and counted as expired against the node, and the unit was open to any other node.
 * The node's measured runtime is then kept in its data directory, for its next start.
 */
class LongJobShortLeaseTest {
    private static final Duration LEASE = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void aJobLongerThanTheLeaseKeepsItsUnitAndItsResultCounts() throws Exception {
        // 60 steps of 100 ms, and a JVM's start: several leases long, at any load
        SortedMap<String, byte[]> seedFiles = TestNetwork.slowSeed(60, 120);
        Path nodeDir = dir.resolve("node");
        TestNetwork.seedInto(nodeDir, seedFiles);
        Identity node = IdentityStore.loadOrCreate(nodeDir);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(LEASE))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed;
            try (var repo = NodeRepository.open(dir.resolve("operator-repo"))) {
                seed = SeedPublisher.publish(repo, seedFiles, operator, Clock.systemUTC());
            }
            operator.openDirection(Direction.newBuilder().setName("d").setSeed(seed.getName())
                    .setBaseCommit(seed.getCommit()).setOpenedBy(operator.identity().publicId().toByteString())
                    .setOpenedMs(System.currentTimeMillis()).build());

            Result result;
            try (NodeDaemon daemon = TestNetwork.node(NodeConfig.defaults(nodeDir, coordinator.url()).withMaxUnits(1))) {
                result = await().atMost(Duration.ofMinutes(5)).until(() -> SignedResults.check(
                        operator.results(null, seed.getCommit()).getEnvelopesList()).valid().stream()
                        .map(v -> v.record()).filter(r -> r.getRunner().equals(node.publicId().toByteString()))
                        .findFirst().orElse(null), r -> r != null);
            }
            assertThat(result.getStatus()).isEqualTo(Result.Status.OK);
            assertThat(result.getRuntimeMs()).as("the premise: the job outlasted a lease").isGreaterThan(LEASE.toMillis());
            UnitStatus done = operator.units("DONE").getUnitsList().stream()
                    .filter(u -> u.getUnit().getId().equals(result.getWorkUnitId())).findFirst().orElseThrow();
            assertThat(done.getExpiredLeases()).as("its lease never ran out while the job ran").isZero();
            assertThat(done.getAttempts()).as("leased once, to this node").isEqualTo(1);
            assertThat(Files.readString(new NodeLayout(nodeDir).runtimes())).as("the runtime kept for the next start")
                    .contains(seed.getName());
        }
    }
}
