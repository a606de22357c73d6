package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.protocol.seed.Manifests;
import dev.rhizome.coordinator.support.Fixtures;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A frontier's settlement compares it with the candidates kept as their results settled
 * ({@link AdoptionCandidates}), not with every experiment of the direction: what it adopts must be
 * what a comparison with every experiment adopts, ties and all, whatever the frontier measures.
 */
class AdoptionCandidatesTest {
    private static final int EXPERIMENTS = 40;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}, lower is better: {1}")
    @CsvSource({"sqlite, true", "sqlite, false", "postgresql, true", "postgresql, false"})
    void theKeptCandidatesChooseWhatEveryExperimentChooses(String kind, boolean lowerIsBetter) throws Exception {
        // about which candidates are read, not about luck: adoption straight after the trial seeds
        Manifest base = Fixtures.manifest(1, 0.01, 3).toBuilder().setConfirmationSeeds(0).build();
        Manifest manifest = base.toBuilder().setMetric(base.getMetric().toBuilder().setLowerIsBetter(lowerIsBetter))
                .build();
        SettledHistory.onStore(kind, dir, store -> check(new SettledHistory(store, manifest), lowerIsBetter));
    }

    private void check(SettledHistory h, boolean lowerIsBetter) {
        h.runOpenEvaluations((commit, seed) -> 3.0);  // the base, measured
        Random random = new Random(11);
        for (int i = 0; i < EXPERIMENTS; i++) {
            h.experiment(h.base);
        }
        // metrics on a coarse grid, so that candidates tie; a few better than the base, most worse
        h.runOpenEvaluations((commit, seed) -> 3.0 + 0.02 * (random.nextInt(21) - 4) * (lowerIsBetter ? 1 : -1));
        List<Long> seeds = Manifests.trialSeeds(h.manifest);
        int winners = 0;
        int fewer = 0;
        for (int level = -10; level <= 30; level++) {
            for (int shape = 0; shape < 3; shape++) {
                Map<Long, Double> frontierMetrics = new LinkedHashMap<>();
                for (int s = 0; s < seeds.size(); s++) {
                    double spread = shape == 0 ? 0 : shape == 1 ? 0.01 * s : 0.05 * (s % 2);
                    frontierMetrics.put(seeds.get(s), 3.0 + (0.01 * level + spread) * (lowerIsBetter ? 1 : -1));
                }
                Settlement.TrialMetrics frontier = new Settlement.TrialMetrics(SettledHistory.HARDWARE, frontierMetrics);
                Compared compared = h.store.inTransaction(tx -> compare(tx, h.manifest, frontier));
                assertThat(compared.kept()).as("the kept candidates are experiments not adopted")
                        .isSubsetOf(compared.all());
                assertThat(compared.fromKept().map(Settlement.Winner::commit))
                        .as("the winner over a frontier at %s", frontierMetrics)
                        .isEqualTo(compared.fromAll().map(Settlement.Winner::commit));
                assertThat(compared.fromKept().map(w -> w.comparison().meanGain()))
                        .isEqualTo(compared.fromAll().map(w -> w.comparison().meanGain()));
                winners += compared.fromAll().isPresent() ? 1 : 0;
                fewer += compared.kept().size() < compared.all().size() / 2 ? 1 : 0;
            }
        }
        assertThat(winners).as("frontiers some candidate beats").isGreaterThan(20);
        assertThat(fewer).as("frontiers for which fewer than half the experiments are read").isGreaterThan(20);
    }

    private record Compared(List<String> all, List<String> kept, Optional<Settlement.Winner> fromAll,
            Optional<Settlement.Winner> fromKept) {
    }

    private static Compared compare(Store.Transaction tx, Manifest manifest, Settlement.TrialMetrics frontier) {
        DirectionRecord d = tx.direction(SettledHistory.DIRECTION).orElseThrow();
        Set<String> adopted = new HashSet<>(Set.of(d.direction().getBaseCommit(), d.frontier().commit()));
        tx.adoptions(d.name()).stream().map(Adoption::getCommit).forEach(adopted::add);
        List<String> all = tx.experiments(d.name()).stream().map(e -> e.record().getCommit())
                .filter(c -> !adopted.contains(c)).toList();
        List<String> kept = AdoptionCandidates.contenders(tx, d, frontier, manifest);
        return new Compared(all, kept, Settlement.winner(tx, frontier, manifest, all),
                Settlement.winner(tx, frontier, manifest, kept));
    }
}
