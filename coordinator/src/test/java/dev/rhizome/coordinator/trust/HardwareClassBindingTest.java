package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A result is judged in its hardware class (its trial, its leaderboard, a base's comparison
 * class), and that class is the one its lease was claimed with: a seed of class {@code cpu},
 * runners claiming as {@code cpu:x86_64}. Until round 33 the class was written at report time, so
 * two colluding keys could take both replicas of the base's trial, report them in a class of
 * their own, decide it there, top that class's board and set the class the direction compares in.
 */
class HardwareClassBindingTest extends OnEachStore {
    private static final String CLAIMED = "cpu:x86_64";

    @BeforeEach
    void start() throws Exception {
        open(Fixtures.manifest(2, 0.01, 1).toBuilder().setHardwareClass("cpu").build(), ApiClient.Format.JSON,
                CoordinatorLimits.defaults()).withSeedAndDirection();
    }

    private ApiClient.Response report(Identity runner, WorkUnit unit, String hardwareClass, double metric) {
        Result result = Fixtures.result(runner, unit, metric, h.clock.millis()).toBuilder()
                .setHardwareClass(hardwareClass).build();
        return h.api.signAndPost("/v1/results", runner, result);
    }

    private List<Leaderboard> boards() {
        return h.api.get("/v1/leaderboard?direction=" + DIRECTION, LeaderboardList.newBuilder()).getLeaderboardsList();
    }

    @Test
    void aResultInAnotherClassThanItsLeaseIsRefusedAndNotCountedAndTheLeaseStaysItsRunners() {
        Identity liar = Identity.generate();
        WorkUnit unit = h.api.claimAs(liar, CLAIMED);
        ApiClient.Response refused = report(liar, unit, "cpu:made-up", 3.0);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.error().getCode()).isEqualTo(Error.Code.WRONG_HARDWARE_CLASS);
        assertThat(refused.error().getMessage()).contains("'cpu:made-up'").contains("'" + CLAIMED + "'")
                .contains(unit.getId());
        assertThat(h.api.get("/v1/trials?commit=" + h.seedCommit, TrialList.newBuilder()).getTrialsList())
                .as("nothing stored").allSatisfy(t -> assertThat(t.getResultsCount()).isZero());

        // a class that does not even fit the seed's is named as such
        ApiClient.Response unfit = report(liar, unit, "gpu:nvidia", 3.0);
        assertThat(unfit.status()).isEqualTo(403);
        assertThat(unfit.error().getCode()).isEqualTo(Error.Code.WRONG_HARDWARE_CLASS);
        assertThat(unfit.error().getMessage()).contains("'gpu:nvidia'").contains("does not fit").contains("'cpu'");

        // nothing was lost: the same runner reports in its lease's class
        assertThat(report(liar, unit, CLAIMED, 3.0).status()).isEqualTo(200);
    }

    @Test
    void aLiarPairCannotDecideTheBaseInAClassOfItsOwnNorSetTheDirectionsClass() {
        Identity c1 = Identity.generate();
        Identity c2 = Identity.generate();
        WorkUnit first = h.api.claimAs(c1, CLAIMED);
        WorkUnit second = h.api.claimAs(c2, CLAIMED);
        for (var pair : List.of(List.of(c1, first), List.of(c2, second))) {
            assertThat(report((Identity) pair.get(0), (WorkUnit) pair.get(1), "cpu:liars", 0.5).status())
                    .isEqualTo(403);
        }
        assertThat(boards()).as("no board of the made-up class").noneMatch(b -> b.getHardwareClass().equals("cpu:liars"));

        // honest flow unchanged: the two runners report what they claimed with, and the direction
        // compares in that class
        assertThat(report(c1, first, CLAIMED, 3.2).status()).isEqualTo(200);
        assertThat(report(c2, second, CLAIMED, 3.2).status()).isEqualTo(200);
        DirectionStatus direction = h.api.get("/v1/directions", DirectionList.newBuilder()).getDirections(0);
        assertThat(direction.getFrontierMetric()).as("the base measured by the replicas in their lease's class")
                .isEqualTo(3.2);
        assertThat(h.api.get("/v1/trials?commit=" + h.seedCommit, TrialList.newBuilder()).getTrialsList())
                .singleElement().satisfies(t -> assertThat(t.getHardwareClass()).isEqualTo(CLAIMED));
        assertThat(boards()).noneMatch(b -> b.getHardwareClass().equals("cpu:liars"));
    }

    @Test
    void aClaimForEvaluationsMustNameItsClass() {
        Identity node = Identity.generate();
        ApiClient.Response refused = h.api.signAndPost("/v1/claim", node, ClaimRequest.newBuilder()
                .setNode(node.publicId().toByteString()).setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build());
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error().getMessage()).contains("hardware_class is missing");
    }
}
