package dev.rhizome.coordinator.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.HonestRunners;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.PairedComparison;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A commit that was not adopted says why in numbers: its report carries the paired comparison the
 * coordinator decided with (mean gain, its standard error, the bound significance x SE it had to
 * pass, the seeds compared), at the trial seeds and at its confirmation seeds. On a real
 * coordinator on both stores, three candidates with the same mean gain (0.05) and a spread across
 * seeds just above or just below what the rule accepts: gains (m - s, m, m + s) have SE = s / sqrt(3),
 * so with k = 2 a spread s passes when 2 s / sqrt(3) < m, i.e. s < 0.0433.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = {Harness.SQLITE, Harness.POSTGRESQL})
class RejectionNumbersTest {
    private static final double BASE = 3.20;
    private static final List<Long> TRIAL_SEEDS = List.of(42L, 43L, 44L);
    private static final double GAIN = 0.05;
    private static final double JUST_TOO_WIDE = 0.046;   // bound 2 x 0.046 / sqrt(3) = 0.0531 > 0.05
    private static final double JUST_NARROW_ENOUGH = 0.040;  // bound 0.0462 < 0.05

    @Parameter
    String store;

    @TempDir
    Path dataDir;

    private Harness h;
    private HonestRunners net;

    @BeforeEach
    void start() throws Exception {
        h = Harness.on(store, dataDir, Fixtures.manifest(2, 0.01, 3), ApiClient.Format.PROTOBUF,
                CoordinatorLimits.defaults()).withSeedAndDirection();
        net = new HonestRunners(h);
        net.measures(h.seedCommit, (c, seed) -> baseline(seed));
        net.runUntilIdle();
    }

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    private static double baseline(long seed) {
        return BASE + 0.01 * (seed % 7);
    }

    /** Lower is better: a gain g at a seed is a metric g below the baseline there. */
    private static double spread(List<Long> seeds, long seed, double s) {
        return baseline(seed) - (GAIN + s * (seeds.indexOf(seed) - 1));
    }

    @Test
    void eachStageSaysTheNumbersItDecidedWith() {
        // 1. Just too wide at the trial seeds: not adopted, and the report says by how much.
        String below = net.propose((c, seed) -> TRIAL_SEEDS.contains(seed) ? spread(TRIAL_SEEDS, seed, JUST_TOO_WIDE)
                : baseline(seed) - GAIN);
        net.runUntilIdle();
        ExperimentReport r = report(below);
        assertThat(r.getDecided()).isTrue();
        assertThat(r.getAdopted()).isFalse();
        assertThat(r.hasConfirmation()).as("it never passed the trial seeds").isFalse();
        assertThat(r.hasConfirmationComparison()).isFalse();
        PairedComparison t = r.getTrialComparison();
        assertThat(t.getDecision()).isEqualTo(PairedComparison.Decision.NOT_PASSED);
        assertThat(t.getFrontier()).isEqualTo(h.seedCommit);
        assertThat(t.getHardwareClass()).isEqualTo(r.getHardwareClass()).isNotEmpty();
        assertThat(t.getRandomSeedsList()).isEqualTo(TRIAL_SEEDS);
        assertThat(t.getSeedsCompared()).isEqualTo(3);
        for (int i = 0; i < 3; i++) {
            long seed = TRIAL_SEEDS.get(i);
            assertThat(t.getCandidateMetrics(i)).isCloseTo(spread(TRIAL_SEEDS, seed, JUST_TOO_WIDE), offset(1e-9));
            assertThat(t.getFrontierMetrics(i)).isCloseTo(baseline(seed), offset(1e-9));
        }
        assertThat(t.getMeanGain()).isCloseTo(GAIN, offset(1e-9));
        assertThat(t.getStandardError()).isCloseTo(JUST_TOO_WIDE / Math.sqrt(3), offset(1e-9));
        assertThat(t.getSignificance()).isEqualTo(2.0);
        assertThat(t.getBound()).isCloseTo(2 * JUST_TOO_WIDE / Math.sqrt(3), offset(1e-9))
                .isGreaterThan(t.getMeanGain());
        assertThat(t.getTolerance()).isEqualTo(0.01);
        assertThat(t.getReason()).contains("is not above", "standard errors", "over 3 seeds");

        // 2. Passes the trial seeds, just too wide at its confirmation seeds: refused there, with those numbers.
        List<Long> refusedSeeds = new ArrayList<>();
        String refused = net.propose((c, seed) -> {
            if (TRIAL_SEEDS.contains(seed)) {
                return baseline(seed) - GAIN;
            }
            if (!refusedSeeds.contains(seed)) {
                refusedSeeds.add(seed);  // in the order first run: a permutation of the drawn seeds
            }
            return spread(refusedSeeds, seed, JUST_TOO_WIDE);
        });
        net.runUntilIdle();
        r = report(refused);
        assertThat(r.getDecided()).isTrue();
        assertThat(r.getAdopted()).isFalse();
        assertThat(r.getConfirmation().getState()).isEqualTo(Confirmation.State.REFUSED);
        assertThat(r.getTrialComparison().getDecision()).isEqualTo(PairedComparison.Decision.PASSED);
        assertThat(r.getTrialComparison().getMeanGain()).isCloseTo(GAIN, offset(1e-9));
        assertThat(r.getTrialComparison().getStandardError()).isCloseTo(0, offset(1e-9));
        PairedComparison c = r.getConfirmationComparison();
        assertThat(c.getDecision()).isEqualTo(PairedComparison.Decision.NOT_PASSED);
        assertThat(c.getRandomSeedsList()).isEqualTo(r.getConfirmation().getRandomSeedsList())
                .containsExactlyInAnyOrderElementsOf(refusedSeeds);
        assertThat(c.getFrontier()).isEqualTo(h.seedCommit);
        assertThat(c.getMeanGain()).isCloseTo(GAIN, offset(1e-9));
        assertThat(c.getStandardError()).isCloseTo(JUST_TOO_WIDE / Math.sqrt(3), offset(1e-9));
        assertThat(c.getBound()).isGreaterThan(c.getMeanGain());
        assertThat(c.getReason()).as("the words the refusal was stored with").isEqualTo(r.getConfirmation().getReason());

        // 3. Just narrow enough at both stages: adopted, and the report's numbers are the adoption's.
        List<Long> adoptedSeeds = new ArrayList<>();
        String above = net.propose((c2, seed) -> {
            if (TRIAL_SEEDS.contains(seed)) {
                return spread(TRIAL_SEEDS, seed, JUST_NARROW_ENOUGH);
            }
            if (!adoptedSeeds.contains(seed)) {
                adoptedSeeds.add(seed);
            }
            return spread(adoptedSeeds, seed, JUST_NARROW_ENOUGH);
        });
        net.runUntilIdle();
        assertThat(net.frontier()).isEqualTo(above);
        Adoption a = h.api.get("/v1/adoptions", AdoptionList.newBuilder()).getAdoptions(0);
        r = report(above);
        assertThat(r.getAdopted()).isTrue();
        t = r.getTrialComparison();
        assertThat(t.getDecision()).isEqualTo(PairedComparison.Decision.PASSED);
        assertThat(t.getFrontier()).isEqualTo(a.getPrevious());
        assertThat(t.getRandomSeedsList()).isEqualTo(a.getRandomSeedsList());
        assertThat(t.getCandidateMetricsList()).isEqualTo(a.getCandidateMetricsList());
        assertThat(t.getFrontierMetricsList()).isEqualTo(a.getFrontierMetricsList());
        assertThat(t.getMeanGain()).isEqualTo(a.getMeanGain());
        assertThat(t.getStandardError()).isEqualTo(a.getStandardError())
                .isCloseTo(JUST_NARROW_ENOUGH / Math.sqrt(3), offset(1e-9));
        assertThat(t.getBound()).isLessThan(t.getMeanGain());
        c = r.getConfirmationComparison();
        assertThat(c.getDecision()).isEqualTo(PairedComparison.Decision.PASSED);
        assertThat(c.getRandomSeedsList()).isEqualTo(a.getConfirmationSeedsList());
        assertThat(c.getMeanGain()).isEqualTo(a.getConfirmationMeanGain());
        assertThat(c.getStandardError()).isEqualTo(a.getConfirmationStandardError());
        assertThat(c.getBound()).isLessThan(c.getMeanGain());

        // The commit not adopted is now compared with the new frontier, as every later settlement does.
        t = report(below).getTrialComparison();
        assertThat(t.getFrontier()).isEqualTo(above);
        assertThat(t.getDecision()).isEqualTo(PairedComparison.Decision.NOT_PASSED);
        assertThat(t.getMeanGain()).as("the same at every seed on average as the new frontier").isCloseTo(0,
                offset(1e-9));
    }

    // --- helpers -------------------------------------------------------------------------

    private ExperimentReport report(String commit) {
        return h.api.get("/v1/experiment?commit=" + commit, ExperimentReport.newBuilder()).build();
    }
}
