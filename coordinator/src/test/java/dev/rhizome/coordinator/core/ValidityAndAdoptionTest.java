package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Result;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class ValidityAndAdoptionTest {
    private static final MetricSpec LOWER = MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true)
            .setTolerance(0.01).build();
    private static final MetricSpec HIGHER = LOWER.toBuilder().setLowerIsBetter(false).build();

    private static Result ok(double metric, String hardwareClass) {
        return Result.newBuilder().setStatus(Result.Status.OK).setMetric(metric).setHardwareClass(hardwareClass).build();
    }

    private static Result crash() {
        return Result.newBuilder().setStatus(Result.Status.CRASH).setHardwareClass("cpu").build();
    }

    @Test
    void quorumOfAgreeingReplicasMakesAResultValidAtTheirMean() {
        assertThat(Validity.agreements(List.of(ok(3.269, "cpu")), 2, 0.01)).isEmpty();
        List<Agreement> valid = Validity.agreements(List.of(ok(3.269, "cpu"), ok(3.273, "cpu")), 2, 0.01);
        assertThat(valid).hasSize(1);
        assertThat(valid.get(0).metric()).isCloseTo(3.271, within(1e-9));
        assertThat(valid.get(0).replicas()).isEqualTo(2);
    }

    @Test
    void crashesDisagreementAndOtherHardwareClassesDoNotCount() {
        assertThat(Validity.agreements(List.of(ok(3.0, "cpu"), crash()), 2, 0.01)).isEmpty();
        assertThat(Validity.agreements(List.of(ok(3.0, "cpu"), ok(3.1, "cpu")), 2, 0.01)).isEmpty();
        assertThat(Validity.agreements(List.of(ok(3.0, "cpu"), ok(3.0, "gpu")), 2, 0.01)).isEmpty();
        List<Agreement> outvoted = Validity.agreements(List.of(ok(3.0, "cpu"), ok(9.0, "cpu"), ok(3.005, "cpu")), 2, 0.01);
        assertThat(outvoted).singleElement().satisfies(a -> assertThat(a.metric()).isCloseTo(3.0025, within(1e-9)));
    }

    @Test
    void disagreeingReplicasAskForATieBreakerUpToALimit() {
        List<Result> split = List.of(ok(3.0, "cpu"), ok(3.1, "cpu"));
        assertThat(Validity.needsTieBreaker(split, 2, LOWER, 0)).isTrue();
        assertThat(Validity.needsTieBreaker(split, 2, LOWER, 1)).as("one is already queued").isFalse();
        assertThat(Validity.needsTieBreaker(List.of(ok(3.0, "cpu")), 2, LOWER, 0)).as("quorum not reached").isFalse();
        List<Result> many = List.of(ok(3.0, "cpu"), ok(3.1, "cpu"), ok(3.2, "cpu"), ok(3.3, "cpu"), ok(3.4, "cpu"));
        assertThat(Validity.needsTieBreaker(many, 2, LOWER, 0)).isFalse();
    }

    @Test
    void adoptsOnlyImprovementsBeyondTheToleranceInTheFrontierHardwareClass() {
        Frontier frontier = new Frontier("base", OptionalDouble.of(3.20), "cpu");
        var noise = new Adoption.Candidate("noise", new Agreement("cpu", 3.195, 2));
        var better = new Adoption.Candidate("better", new Agreement("cpu", 3.10, 2));
        var best = new Adoption.Candidate("best", new Agreement("cpu", 3.05, 2));
        var elsewhere = new Adoption.Candidate("gpu", new Agreement("gpu", 2.0, 2));
        assertThat(Adoption.choose(frontier, List.of(noise, elsewhere), LOWER)).isEmpty();
        assertThat(Adoption.choose(frontier, List.of(noise, better, best, elsewhere), LOWER)).contains(best);
        assertThat(Adoption.adopt(best)).isEqualTo(new Frontier("best", OptionalDouble.of(3.05), "cpu"));
    }

    @Test
    void respectsHigherIsBetterAndWaitsForTheFrontierToBeMeasured() {
        Frontier frontier = new Frontier("base", OptionalDouble.of(0.50), "cpu");
        var higher = new Adoption.Candidate("higher", new Agreement("cpu", 0.60, 1));
        var lower = new Adoption.Candidate("lower", new Agreement("cpu", 0.40, 1));
        assertThat(Adoption.choose(frontier, List.of(lower, higher), HIGHER)).contains(higher);
        assertThat(Adoption.choose(Frontier.unmeasured("base"), List.of(higher), HIGHER)).isEmpty();
    }
}
