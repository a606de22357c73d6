package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SignificanceTest {
    private static Manifest manifest(int seeds, boolean lowerIsBetter) {
        return Manifest.newBuilder().setRandomSeed(42).setAdoptionSeeds(seeds)
                .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(lowerIsBetter).setTolerance(0.002))
                .build();
    }

    private static final Map<Long, Double> FRONTIER = Map.of(42L, 3.20, 43L, 3.30, 44L, 3.25);

    @Test
    void aConsistentGainOnEverySeedIsAdopted() {
        var c = Significance.compare(FRONTIER, Map.of(42L, 3.10, 43L, 3.21, 44L, 3.14), manifest(3, true));
        assertThat(c.decision()).isEqualTo(Significance.Decision.ADOPT);
        assertThat(c.meanGain()).isCloseTo(0.1, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(c.randomSeeds()).containsExactly(42L, 43L, 44L);
    }

    @Test
    void aSeed42FlukeIsNeverAdoptedHoweverLargeTheWin() {
        for (double win : new double[] {0.01, 0.5, 100}) {
            var c = Significance.compare(FRONTIER, Map.of(42L, 3.20 - win, 43L, 3.30, 44L, 3.25), manifest(3, true));
            assertThat(c.decision()).as("win %s on seed 42 only", win).isEqualTo(Significance.Decision.REJECT);
        }
        var lossesElsewhere = Significance.compare(FRONTIER, Map.of(42L, 2.0, 43L, 3.31, 44L, 3.26), manifest(3, true));
        assertThat(lossesElsewhere.decision()).isEqualTo(Significance.Decision.REJECT);
    }

    @Test
    void waitsForEverySeedOnBothSides() {
        var c = Significance.compare(Map.of(42L, 3.2), Map.of(42L, 3.0, 43L, 3.0, 44L, 3.0), manifest(3, true));
        assertThat(c.decision()).isEqualTo(Significance.Decision.WAIT);
        assertThat(c.reason()).contains("seed 43").contains("frontier");
    }

    @Test
    void gainsWithinTheToleranceAreNoise() {
        var c = Significance.compare(FRONTIER, Map.of(42L, 3.199, 43L, 3.299, 44L, 3.249), manifest(3, true));
        assertThat(c.decision()).isEqualTo(Significance.Decision.REJECT);
    }

    @Test
    void higherIsBetterFlipsTheSignAndOneSeedFallsBackToTheTolerance() {
        var c = Significance.compare(FRONTIER, Map.of(42L, 3.30, 43L, 3.40, 44L, 3.36), manifest(3, false));
        assertThat(c.decision()).isEqualTo(Significance.Decision.ADOPT);
        assertThat(Significance.compare(Map.of(42L, 3.2), Map.of(42L, 3.1), manifest(1, true)).decision())
                .isEqualTo(Significance.Decision.ADOPT);
        assertThat(Significance.compare(Map.of(42L, 3.2), Map.of(42L, 3.199), manifest(1, true)).decision())
                .isEqualTo(Significance.Decision.REJECT);
    }
}
