package dev.rhizome.coordinator.service;

import static dev.rhizome.coordinator.support.Fixtures.signed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Seed;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Trials are keyed by commit, random seed and hardware class, not by seed: two seeds with different
 * manifests at one commit would share them, so a direction on a seed with twice the budget took the
 * other seed's decided baseline as its own, measured at half its budget and never run. The
 * coordinator refuses the second manifest at publish (and an experiment at another seed's commit);
 * the same manifest under another name measures the same thing and is published. On both stores.
 */
class OneManifestPerCommitTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aCommitMeasuresUnderOneManifestOnly(String kind) throws Exception {
        SettledHistory.onStore(kind, dir, store -> {
            TrustServices trust = new TrustServices(store);
            SeedsAndDirections operators = new SeedsAndDirections(store, trust.clock, new Operators(Set.of()));
            Manifest doubled = Fixtures.manifest(2, 0.01).toBuilder().setBudget(Budget.newBuilder().setSteps(800)).build();

            assertThatThrownBy(() -> publish(trust, operators, "twice-as-long", trust.seedCommit, doubled))
                    .as("the seed's own commit under another budget").isInstanceOf(Rejection.class)
                    .hasMessageContaining("seed tiny-lm").hasMessageContaining(trust.seedCommit)
                    .satisfies(e -> assertThat(((Rejection) e).code()).isEqualTo(Error.Code.CONFLICT));
            String experiment = trust.propose();
            assertThatThrownBy(() -> publish(trust, operators, "twice-as-long", experiment, doubled))
                    .as("an experiment's commit of another seed").isInstanceOf(Rejection.class)
                    .hasMessageContaining("seed tiny-lm").hasMessageContaining(experiment);
            assertThat(trust.views.seeds(PageRequest.first(100)).getSeedsList()).as("nothing published")
                    .extracting(Seed::getName).containsExactly("tiny-lm");

            String other = Fixtures.commit();
            publish(trust, operators, "twice-as-long", other, doubled);
            assertThatThrownBy(() -> trust.experiments.register(signed(trust.proposer, Fixtures.experiment(
                    trust.proposer, "tiny-lm", "d", other, trust.seedCommit, trust.clock.millis()),
                    Experiment.getDefaultInstance()))).as("an experiment at another seed's commit")
                    .isInstanceOf(Rejection.class).hasMessageContaining("seed twice-as-long");

            // the same manifest measures the same thing: its trials are rightly the same ones
            publish(trust, operators, "tiny-lm-again", trust.seedCommit, Fixtures.manifest(2, 0.01));
            operators.openDirection(signed(trust.operator, Fixtures.direction(trust.operator, "d2", "tiny-lm-again",
                    trust.seedCommit, trust.clock.millis()), Direction.getDefaultInstance()));
            assertThat(trust.views.seeds(PageRequest.first(100)).getSeedsList()).extracting(Seed::getName)
                    .containsExactly("tiny-lm", "twice-as-long", "tiny-lm-again");
        });
    }

    private static void publish(TrustServices trust, SeedsAndDirections operators, String name, String commit,
            Manifest manifest) {
        operators.publishSeed(signed(trust.operator, Fixtures.seed(trust.operator, name, commit, manifest,
                trust.clock.millis()), Seed.getDefaultInstance()));
    }
}
