package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A seed whose manifest names its metric's plausible range ([0, 64] bits per byte), against two
 * colluding keys that take both replicas of a trial and agree on a value outside it. Without the
 * range, -Double.MAX_VALUE on a lower-is-better metric settled as the frontier and nothing could
 * ever beat it: the direction was frozen. Each such result is refused (400, naming the value and
 * the bound) and stored nowhere; an honest result in the range still moves the frontier.
 */
class MetricRangeTest extends OnEachStore {
    private static final double BASE = 3.2;

    private final Identity c1 = Identity.generate();
    private final Identity c2 = Identity.generate();

    @BeforeEach
    void start() throws Exception {
        Manifest base = Fixtures.manifest(2, 0.01);
        Manifest ranged = base.toBuilder().setMetric(base.getMetric().toBuilder().setMin(0).setMax(64)).build();
        open(ranged, ApiClient.Format.JSON, CoordinatorLimits.defaults()).withSeedAndDirection();
        bothReport(Identity.generate(), Identity.generate(), h.seedCommit, BASE);
        assertThat(direction().getFrontierMetric()).isEqualTo(BASE);
    }

    private String propose() {
        Identity proposer = Identity.generate();
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
        return commit;
    }

    private void bothReport(Identity a, Identity b, String commit, double metric) {
        for (Identity runner : new Identity[] {a, b}) {
            WorkUnit unit = h.claimEvaluation(runner, commit);
            assertThat(h.api.signAndPost("/v1/results", runner,
                    Fixtures.result(runner, unit, metric, h.clock.millis())).status()).isEqualTo(200);
        }
    }

    private DirectionStatus direction() {
        return h.api.get("/v1/directions", DirectionList.newBuilder()).getDirections(0);
    }

    private void collusionIsRefused(double metric, String bound) {
        String fake = propose();
        for (Identity runner : new Identity[] {c1, c2}) {
            WorkUnit unit = h.claimEvaluation(runner, fake);
            var refused = h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, metric, h.clock.millis()));
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.error().getMessage()).contains(String.valueOf(metric)).contains(bound);
        }
        assertThat(direction().getFrontierCommit()).as("the frontier did not move").isEqualTo(h.seedCommit);
        assertThat(direction().getFrontierMetric()).isEqualTo(BASE);
        assertThat(h.api.get("/v1/trials?commit=" + fake, TrialList.newBuilder()).getTrialsList())
                .as("no trial holds a refused value").allSatisfy(t -> assertThat(t.getResultsCount()).isZero());
        h.api.get("/v1/leaderboard?direction=" + DIRECTION, LeaderboardList.newBuilder()).getLeaderboardsList()
                .forEach(board -> board.getEntriesList().forEach(e -> assertThat(e.getCommit()).isNotEqualTo(fake)));
    }

    @Test
    void collusionBelowTheMinimumDoesNotFreezeTheDirectionAndAnHonestWinStillLands() {
        collusionIsRefused(-Double.MAX_VALUE, "metric.min 0.0");

        String better = propose();
        bothReport(Identity.generate(), Identity.generate(), better, BASE - 0.2);
        assertThat(direction().getFrontierCommit()).as("an honest, in-range win is adopted").isEqualTo(better);
        assertThat(direction().getFrontierMetric()).isEqualTo(BASE - 0.2);
    }

    @Test
    void collusionAboveTheMaximumIsRefusedToo() {
        collusionIsRefused(64.5, "metric.max 64.0");
    }

    @Test
    void theBoundsThemselvesAreInTheRange() {
        String atZero = propose();
        bothReport(Identity.generate(), Identity.generate(), atZero, 0.0);
        assertThat(direction().getFrontierCommit()).isEqualTo(atZero);
        assertThat(direction().getFrontierMetric()).isZero();
    }
}
