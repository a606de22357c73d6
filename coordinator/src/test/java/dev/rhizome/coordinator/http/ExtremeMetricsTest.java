package dev.rhizome.coordinator.http;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Signed results whose metrics are valid doubles at the edge of the range, from two keys that
 * agree (a quorum of two, as two addresses of one attacker are): every number the coordinator
 * derives from them stays finite. Two replicas of {@code Double.MAX_VALUE} made a trial's mean
 * infinite, so the baseline, the frontier, the leaderboard and the experiment's report said
 * Infinity, and the dashboard's data had a bare {@code Infinity} in it, which is no JSON: the
 * page could not read it, for every viewer.
 */
class ExtremeMetricsTest extends OnEachStore {
    /** A number JSON does not have, where a value stands. */
    private static final Pattern NOT_JSON = Pattern.compile("[:\\[,]\\s*-?(Infinity|NaN)");

    private final Identity a = Identity.generate();
    private final Identity b = Identity.generate();

    @BeforeEach
    void start() throws Exception {
        open(Fixtures.manifest(2, 0.01), ApiClient.Format.JSON, CoordinatorLimits.defaults()).withSeedAndDirection();
    }

    private void bothReport(String commit, double metric) {
        for (Identity runner : new Identity[] {a, b}) {
            WorkUnit unit = h.claimEvaluation(runner, commit);
            assertThat(h.api.signAndPost("/v1/results", runner,
                    Fixtures.result(runner, unit, metric, h.clock.millis())).status()).isEqualTo(200);
        }
    }

    @Test
    void trialsOfTheLargestFiniteMetricsHaveFiniteMeansEverywhereTheyAreShown() {
        bothReport(h.seedCommit, Double.MAX_VALUE);
        Identity proposer = Identity.generate();
        String commit = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
        bothReport(commit, -Double.MAX_VALUE);

        String dashboard = h.api.get("/v1/dashboard").text();
        assertThat(NOT_JSON.matcher(dashboard).find()).as("the dashboard's data is JSON: %s", dashboard).isFalse();
        assertThat(dashboard).contains("\"baseline_metric\":1.7976931348623157E308");

        LeaderboardList boards = h.api.get("/v1/leaderboard?direction=" + DIRECTION, LeaderboardList.newBuilder()).build();
        assertThat(boards.getLeaderboardsList()).isNotEmpty();
        boards.getLeaderboardsList().forEach(board -> board.getEntriesList().forEach(e ->
                assertThat(e.getMetric()).as("%s on the leaderboard", e.getCommit()).isFinite()));
        ExperimentReport report = h.api.get("/v1/experiment?commit=" + commit, ExperimentReport.newBuilder()).build();
        assertThat(report.getMetric()).isEqualTo(-Double.MAX_VALUE);
        assertThat(report.getParentMetric()).isEqualTo(Double.MAX_VALUE);
        assertThat(report.getFrontierMetric()).as("adopted: far below the base").isEqualTo(-Double.MAX_VALUE);
        assertThat(new String(h.api.get("/v1/directions").body(), StandardCharsets.UTF_8)).doesNotContain("Infinity");
    }
}
