package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.LeaderboardEntry;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.proto.v1.VolunteerList;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Liars against a real coordinator on loopback (SQLite), with runners that sign their results:
 * none of their commits reaches the frontier, each loses reputation, and honest work goes on.
 * The seed asks for 2 agreeing replicas per trial and 3 random seeds per comparison.
 */
class LiarsTest {
    private static final double BASE = 3.20;

    @TempDir
    Path dataDir;

    private Harness h;
    private final Identity proposer = Identity.generate();
    private final List<Identity> honest = List.of(Identity.generate(), Identity.generate(), Identity.generate(),
            Identity.generate());
    /** What an honest run measures, by commit then random seed. */
    private final Map<String, Map<Long, Double>> truth = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        h = new Harness(dataDir, Fixtures.manifest(2, 0.01, 3), ApiClient.Format.PROTOBUF).withSeedAndDirection();
        truth.put(h.seedCommit, Map.of(42L, BASE, 43L, BASE + 0.04, 44L, BASE - 0.03));
        runUntilIdle(runners(honest, this::honestly));
        assertThat(direction().getFrontierMetric()).as("the baseline, over 3 seeds").isCloseTo(BASE + 0.01 / 3,
                org.assertj.core.data.Offset.offset(1e-9));
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void aRunnerThatInventsMetricsIsOutvotedAndLosesReputation() {
        Identity liar = Identity.generate();
        String worse = propose(0.05);  // honestly worse than the frontier on every seed
        Map<Identity, ToDoubleFunction<WorkUnit>> all = new LinkedHashMap<>();
        all.put(liar, u -> 1.0);  // a wonderful metric, never measured
        all.putAll(runners(honest, this::honestly));
        runUntilIdle(all);

        assertThat(direction().getFrontierCommit()).isEqualTo(h.seedCommit);
        List<ResultVerdict> liarResults = resultsOf(liar);
        assertThat(liarResults).isNotEmpty().allSatisfy(r ->
                assertThat(r.getState()).isEqualTo(ResultVerdict.State.INVALID));
        Volunteer l = volunteer(liar);
        assertThat(l.getInvalid()).isEqualTo(liarResults.size());
        assertThat(l.getValid()).isZero();
        assertThat(l.getConsecutiveValid()).isZero();
        assertThat(l.getCreditSeconds()).isZero();
        assertThat(l.getDailyQuota()).isLessThan(volunteer(honest.get(0)).getDailyQuota());
        assertThat(trials(worse)).allSatisfy(t -> assertThat(t.getState()).isEqualTo(ResultVerdict.State.VALID));
        LeaderboardEntry entry = h.api.get("/v1/leaderboard?direction=" + DIRECTION, LeaderboardList.newBuilder())
                .getLeaderboards(0).getEntriesList().stream().filter(e -> e.getCommit().equals(worse)).findFirst()
                .orElseThrow();
        assertThat(entry.getMetric()).as("the liar's numbers are not in the mean").isGreaterThan(BASE);

        String better = propose(-0.05);
        runUntilIdle(all);
        assertThat(direction().getFrontierCommit()).as("honest work goes on").isEqualTo(better);
        assertThat(volunteer(honest.get(0)).getCreditSeconds()).isPositive();
    }

    @Test
    void codeThatPrintsAFakeMetricNeverAgreesWithItselfAndIsNeverAdopted() {
        String faker = propose(0);
        // Whatever line the code prints, replicas of one seed disagree: each run prints its own number.
        Map<Identity, ToDoubleFunction<WorkUnit>> all = new LinkedHashMap<>();
        List<Identity> five = new ArrayList<>(honest);
        five.add(Identity.generate());
        for (Identity runner : five) {
            all.put(runner, u -> u.getCommit().equals(faker) ? 0.5 + 0.1 * five.indexOf(runner) : honestly(u));
        }
        runUntilIdle(all);
        assertThat(direction().getFrontierCommit()).isEqualTo(h.seedCommit);
        assertThat(trials(faker)).hasSize(3).allSatisfy(t -> {
            assertThat(t.getState()).isEqualTo(ResultVerdict.State.INCONCLUSIVE);
            assertThat(t.getResultsCount()).as("tie-breakers up to 2q+1, not beyond").isEqualTo(5);
        });
        // Three trials that never agree count against the proposer like crashes: it is throttled.
        var refused = h.api.signAndPost("/v1/experiments", proposer, Fixtures.experiment(proposer, SEED, DIRECTION,
                Fixtures.commit(), h.seedCommit, h.clock.millis()));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.error().getMessage()).contains("proposer throttled");
    }

    @Test
    void twoColludingKeysCanCarryOneTrialButNotAnAdoption() {
        Identity c1 = Identity.generate();
        Identity c2 = Identity.generate();
        String fake = propose(0.05);  // honestly worse; the colluders say it is far better
        Map<Identity, ToDoubleFunction<WorkUnit>> all = new LinkedHashMap<>();
        all.put(c1, u -> u.getCommit().equals(fake) ? 1.0 : honestly(u));
        all.put(c2, u -> u.getCommit().equals(fake) ? 1.0 : honestly(u));
        all.putAll(runners(honest, this::honestly));
        runUntilIdle(all);

        // The colluders claimed both replicas of seed 42 and agree: that trial looks valid. That is
        // the limit of replication, and why a comparison takes several seeds run by other keys.
        Trial seed42 = trials(fake).stream().filter(t -> t.getRandomSeed() == 42).findFirst().orElseThrow();
        assertThat(seed42.getState()).isEqualTo(ResultVerdict.State.VALID);
        assertThat(seed42.getMetric()).isEqualTo(1.0);
        assertThat(direction().getFrontierCommit()).as("one faked seed is a fluke to the paired rule")
                .isEqualTo(h.seedCommit);
        assertThat(h.api.get("/v1/adoptions", AdoptionList.newBuilder()).getAdoptionsCount()).isZero();
    }

    @Test
    void aCandidateThatWinsOnOneSeedAndLosesOnOthersIsNotAdopted() {
        String fluke = propose(0.01);
        truth.put(fluke, Map.of(42L, BASE - 0.4, 43L, BASE + 0.05, 44L, BASE - 0.02));
        runUntilIdle(runners(honest, this::honestly));
        assertThat(trials(fluke)).hasSize(3)
                .allSatisfy(t -> assertThat(t.getState()).isEqualTo(ResultVerdict.State.VALID));
        assertThat(direction().getFrontierCommit()).isEqualTo(h.seedCommit);
        assertThat(h.api.get("/v1/adoptions", AdoptionList.newBuilder()).getAdoptionsCount()).isZero();

        String steady = propose(-0.03);
        runUntilIdle(runners(honest, this::honestly));
        assertThat(direction().getFrontierCommit()).isEqualTo(steady);
        var adoption = h.api.get("/v1/adoptions", AdoptionList.newBuilder()).getAdoptions(0);
        assertThat(adoption.getRandomSeedsList()).containsExactly(42L, 43L, 44L);
        assertThat(adoption.getMeanGain()).isCloseTo(0.03, org.assertj.core.data.Offset.offset(1e-9));
    }

    // --- helpers ---------------------------------------------------------------------------

    /** Registers a commit whose honest metric is the base's plus {@code delta} at every seed. */
    private String propose(double delta) {
        String commit = Fixtures.commit();
        Map<Long, Double> metrics = new HashMap<>();
        truth.get(h.seedCommit).forEach((seed, m) -> metrics.put(seed, m + delta));
        truth.put(commit, metrics);
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, commit, h.seedCommit, h.clock.millis())).ack();
        return commit;
    }

    /** At a confirmation seed (drawn by the coordinator, unknown here) a commit measures what it does at seed 42. */
    private double honestly(WorkUnit unit) {
        Map<Long, Double> bySeed = truth.get(unit.getCommit());
        return bySeed.getOrDefault(unit.getRandomSeed(), bySeed.get(42L));
    }

    private static Map<Identity, ToDoubleFunction<WorkUnit>> runners(List<Identity> ids, ToDoubleFunction<WorkUnit> f) {
        Map<Identity, ToDoubleFunction<WorkUnit>> m = new LinkedHashMap<>();
        ids.forEach(id -> m.put(id, f));
        return m;
    }

    /** Each runner in turn claims one unit and reports what it says it measured, until no one gets work. */
    private void runUntilIdle(Map<Identity, ToDoubleFunction<WorkUnit>> runners) {
        for (int round = 0; round < 100; round++) {
            boolean worked = false;
            Map<Identity, WorkUnit> leased = new LinkedHashMap<>();
            for (Identity runner : runners.keySet()) {
                WorkUnit unit = h.api.claim(runner);
                if (unit != null) {
                    leased.put(runner, unit);
                }
            }
            for (var e : leased.entrySet()) {
                double metric = runners.get(e.getKey()).applyAsDouble(e.getValue());
                h.api.signAndPost("/v1/results", e.getKey(),
                        Fixtures.result(e.getKey(), e.getValue(), metric, h.clock.millis())).ack();
                worked = true;
            }
            if (!worked) {
                return;
            }
        }
        throw new AssertionError("work never ran out");
    }

    private DirectionStatus direction() {
        return h.api.get("/v1/directions", DirectionList.newBuilder()).getDirections(0);
    }

    private List<Trial> trials(String commit) {
        return h.api.get("/v1/trials?commit=" + commit, TrialList.newBuilder()).getTrialsList();
    }

    private List<ResultVerdict> resultsOf(Identity runner) {
        ByteString key = runner.publicId().toByteString();
        return h.api.get("/v1/trials?direction=" + DIRECTION, TrialList.newBuilder()).getTrialsList().stream()
                .flatMap(t -> t.getResultsList().stream()).filter(r -> r.getRunner().equals(key)).toList();
    }

    private Volunteer volunteer(Identity runner) {
        ByteString key = runner.publicId().toByteString();
        return h.api.get("/v1/volunteers", VolunteerList.newBuilder()).getVolunteersList().stream()
                .filter(v -> v.getKey().equals(key)).findFirst().orElseThrow();
    }
}
