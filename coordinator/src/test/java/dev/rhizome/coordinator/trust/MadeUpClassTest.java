package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A hardware class is the node's word, bound since round 33 to the class a lease was claimed
 * with; two colluding keys could still claim in a class of their own that fits the seed's
 * ({@code cpu:made-up} for a {@code cpu} seed), decide the base's trial there first and so set the
 * class the direction compares in, after which their own candidates, decided in that class, moved
 * the frontier. A class now sets it only where it is established: no class has more networks of
 * standing among the nodes seen lately. Through HTTP, behind a proxy the coordinator trusts, every
 * key on a network of its own; standing earned on a warm-up direction of another seed, the liars'
 * included (the worst case: keys that ran honestly before).
 */
class MadeUpClassTest extends OnEachStore {
    private static final String REAL = "cpu:x86_64";
    private static final String MADE_UP = "cpu:made-up";

    private final List<Identity> honest = List.of(Identity.generate(), Identity.generate(), Identity.generate());
    private final List<String> honestNetworks = List.of("84.17.46.7", "84.17.47.7", "84.17.48.7");
    private final List<Identity> liars = List.of(Identity.generate(), Identity.generate());
    private final List<String> liarNetworks = List.of("81.2.69.5", "81.2.70.5");

    @BeforeEach
    void start() throws Exception {
        // the direction's seed: class cpu, 2 replicas a trial, 1 seed (no confirmation stage)
        open(Fixtures.manifest(2, 0.01, 1).toBuilder().setHardwareClass("cpu").setTimeoutSeconds(600).build(),
                ApiClient.Format.PROTOBUF, CoordinatorLimits.defaults(),
                c -> c.withTrustedProxies(List.of("127.0.0.1", "::1")));
    }

    /** Every key earns standing (one valid result) on a warm-up seed's base, one trial each. */
    private void warmUp(List<Identity> keys, List<String> networks) {
        Manifest warm = Fixtures.manifest(1, 0.01, keys.size()).toBuilder().setName("warm-up").build();
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/seeds", h.operator, Fixtures.seed(h.operator, "warm-up", commit, warm, h.clock.millis()))
                .ack();
        h.api.signAndPost("/v1/directions", h.operator,
                Fixtures.direction(h.operator, "warm-up", "warm-up", commit, h.clock.millis())).ack();
        for (int i = 0; i < keys.size(); i++) {
            WorkUnit unit = h.api.from(networks.get(i)).claimAs(keys.get(i), REAL);
            assertThat(unit.getCommit()).isEqualTo(commit);
            report(keys.get(i), networks.get(i), unit, REAL, 3.0).ack();
        }
    }

    private void announce(Identity node, String from, String hardwareClass) {
        h.api.from(from).signAndPost("/v1/announce", node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost("node-" + from + ".example").setPort(7000)
                .setHardwareClass(hardwareClass).setTimeMs(h.clock.millis()).build()).ack();
    }

    private ApiClient.Response report(Identity runner, String from, WorkUnit unit, String hardwareClass, double metric) {
        Result result = Fixtures.result(runner, unit, metric, h.clock.millis()).toBuilder()
                .setHardwareClass(hardwareClass).build();
        return h.api.from(from).signAndPost("/v1/results", runner, result);
    }

    private DirectionStatus direction() {
        return h.api.get("/v1/directions", DirectionList.newBuilder()).getDirectionsList().stream()
                .filter(d -> d.getDirection().getName().equals(DIRECTION)).findFirst().orElseThrow();
    }

    private List<Leaderboard> boards() {
        return h.api.get("/v1/leaderboard?direction=" + DIRECTION, LeaderboardList.newBuilder()).getLeaderboardsList();
    }

    /** The leaderboard's ranking is shared while fresh (up to a second or so, docs/api.md): waited for. */
    private void comparedBoardIs(String hardwareClass) {
        await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(boards())
                .filteredOn(Leaderboard::getCompared).singleElement()
                .satisfies(b -> assertThat(b.getHardwareClass()).isEqualTo(hardwareClass)));
    }

    @Test
    void aLiarPairInAMadeUpClassSetsNeitherTheComparisonClassNorTheFrontier() {
        warmUp(List.of(honest.get(0), honest.get(1), honest.get(2), liars.get(0), liars.get(1)),
                List.of(honestNetworks.get(0), honestNetworks.get(1), honestNetworks.get(2), liarNetworks.get(0),
                        liarNetworks.get(1)));
        for (int i = 0; i < honest.size(); i++) {
            announce(honest.get(i), honestNetworks.get(i), REAL);
        }
        for (int i = 0; i < liars.size(); i++) {
            announce(liars.get(i), liarNetworks.get(i), MADE_UP);
        }
        h.withSeedAndDirection();

        // the pair takes both replicas of the base's trial, from two networks, and decides it in its class
        for (int i = 0; i < liars.size(); i++) {
            WorkUnit unit = h.api.from(liarNetworks.get(i)).claimAs(liars.get(i), MADE_UP);
            assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
            assertThat(report(liars.get(i), liarNetworks.get(i), unit, MADE_UP, 0.5).status()).isEqualTo(200);
        }
        assertThat(direction().getHasFrontierMetric()).as("the base is not measured in a class not established")
                .isFalse();
        assertThat(direction().getHardwareClass()).isEmpty();
        assertThat(boards()).as("no board is the direction's comparison yet").noneMatch(Leaderboard::getCompared);

        // the base's trial is queued again: two runners of the real class decide it there
        for (int i = 0; i < 2; i++) {
            WorkUnit unit = h.api.from(honestNetworks.get(i)).claimAs(honest.get(i), REAL);
            assertThat(unit).as("a replica of the base queued again").isNotNull();
            assertThat(unit.getCommit()).isEqualTo(h.seedCommit);
            report(honest.get(i), honestNetworks.get(i), unit, REAL, 3.2).ack();
        }
        assertThat(direction().getHasFrontierMetric()).isTrue();
        assertThat(direction().getFrontierMetric()).isEqualTo(3.2);
        assertThat(direction().getHardwareClass()).isEqualTo(REAL);
        comparedBoardIs(REAL);

        // their candidate, decided far better in their class, moves nothing
        Identity proposer = Identity.generate();
        String candidate = Fixtures.commit();
        h.api.from("93.184.216.7").signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, candidate, h.seedCommit, h.clock.millis())).ack();
        for (int i = 0; i < liars.size(); i++) {
            WorkUnit unit = h.api.from(liarNetworks.get(i)).claimAs(liars.get(i), MADE_UP);
            assertThat(unit.getCommit()).isEqualTo(candidate);
            report(liars.get(i), liarNetworks.get(i), unit, MADE_UP, 0.1).ack();
        }
        assertThat(direction().getFrontierCommit()).as("the frontier did not move").isEqualTo(h.seedCommit);
        assertThat(h.api.get("/v1/adoptions?direction=" + DIRECTION, AdoptionList.newBuilder()).getAdoptionsList())
                .isEmpty();
    }

    @Test
    void twoHonestClassesEquallyBackedCompareInTheFirstDecided() {
        Identity a1 = honest.get(0);
        Identity a2 = honest.get(1);
        Identity b1 = liars.get(0);  // here two honest runners of another real class
        Identity b2 = liars.get(1);
        String aarch = "cpu:aarch64";
        warmUp(List.of(a1, a2, b1, b2), List.of(honestNetworks.get(0), honestNetworks.get(1), liarNetworks.get(0),
                liarNetworks.get(1)));
        announce(a1, honestNetworks.get(0), REAL);
        announce(a2, honestNetworks.get(1), REAL);
        announce(b1, liarNetworks.get(0), aarch);
        announce(b2, liarNetworks.get(1), aarch);
        h.withSeedAndDirection();

        WorkUnit first = h.api.from(honestNetworks.get(0)).claimAs(a1, REAL);
        WorkUnit second = h.api.from(honestNetworks.get(1)).claimAs(a2, REAL);
        report(a1, honestNetworks.get(0), first, REAL, 3.2).ack();
        report(a2, honestNetworks.get(1), second, REAL, 3.2).ack();
        assertThat(direction().getFrontierMetric()).isEqualTo(3.2);
        assertThat(direction().getHardwareClass()).as("as before: the first class decided").isEqualTo(REAL);
        comparedBoardIs(REAL);
    }
}
