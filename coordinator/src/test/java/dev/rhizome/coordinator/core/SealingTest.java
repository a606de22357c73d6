package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.protocol.envelope.Envelopes;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one rule every read route asks: a result is sealed while a replica of its trial is out. */
class SealingTest {
    private static SignedEnvelope result(String commit, long seed, double metric) {
        return SignedEnvelope.newBuilder().setVersion(2).setType(Sealing.RESULT_TYPE)
                .setPayload(Result.newBuilder().setStatus(Result.Status.OK).setCommit(commit).setRandomSeed(seed).setMetric(metric).build()
                        .toByteString()).setSignature(ByteString.copyFrom(new byte[64])).build();
    }

    private static SignedEnvelope paper() {
        return SignedEnvelope.newBuilder().setVersion(2).setType("rhizome.v1.Paper").build();
    }

    @Test
    void aResultIsSealedOnlyWhileItsOwnTrialHasAReplicaOut() {
        Sealing s = Sealing.of(Map.of("abc", Set.of(7L)));
        assertThat(s.sealed("abc", 7)).isTrue();
        assertThat(s.sealed("abc", 8)).as("another seed of the commit: another trial").isFalse();
        assertThat(s.sealed("def", 7)).isFalse();
        assertThat(s.anySealed("abc")).isTrue();
        assertThat(s.anySealed("def")).isFalse();
        assertThat(s.sealed(paper())).as("only results are ever sealed").isFalse();
        assertThat(Sealing.NONE.sealed(result("abc", 7, 1.0))).isFalse();
    }

    @Test
    void aResultWithoutAMetricIsNeverSealed() {
        Sealing s = Sealing.of(Map.of("abc", Set.of(7L)));
        Result ok = Result.newBuilder().setStatus(Result.Status.OK).setCommit("abc").setRandomSeed(7).setMetric(1.5).build();
        assertThat(s.sealed(ok)).isTrue();
        for (Result.Status notRun : List.of(Result.Status.CRASH, Result.Status.TIMEOUT, Result.Status.REFUSED,
                Result.Status.UNFETCHABLE)) {
            assertThat(s.sealed(ok.toBuilder().setStatus(notRun).clearMetric().build()))
                    .as("%s is never compared and earns nothing: shown at once", notRun).isFalse();
        }
    }

    @Test
    void aSealedEnvelopeKeepsItsPlaceAndIsNamedByTheIdItsEnvelopeHashesTo() {
        SignedEnvelope open = result("abc", 1, 2.5);
        SignedEnvelope out = result("abc", 7, 3.25);
        EnvelopeList page = Sealing.of(Map.of("abc", Set.of(7L))).page(List.of(paper(), out, open), List.of(10L, 11L, 12L))
                .build();
        assertThat(page.getEnvelopesList()).containsExactly(paper(), open);
        assertThat(page.getSealedList()).singleElement().satisfies(x -> {
            assertThat(x.getId()).isEqualTo(Envelopes.id(out));
            assertThat(x.getAuditIndex()).as("its key in the trail, from 0").isEqualTo(10);
            assertThat(x.getPosition()).isEqualTo(1);
            assertThat(x.getType()).isEqualTo(Sealing.RESULT_TYPE);
        });
        assertThat(page.toString()).doesNotContain("3.25");
    }

    @Test
    void aSealedTrialShowsItsReplicasWithoutAnyMetric() {
        Trial t = Trial.newBuilder().setCommit("abc").setRandomSeed(7).setMetric(3.25)
                .addResults(ResultVerdict.newBuilder().setEnvelopeId("id1").setMetric(3.25)
                        .setState(ResultVerdict.State.VALID)).build();
        Trial shown = Sealing.of(Map.of("abc", Set.of(7L))).trial(t);
        assertThat(shown.getSealed()).isTrue();
        assertThat(shown.getMetric()).isZero();
        assertThat(shown.getResultsList()).singleElement().satisfies(v -> {
            assertThat(v.getSealed()).isTrue();
            assertThat(v.getMetric()).isZero();
            assertThat(v.getEnvelopeId()).isEqualTo("id1");
            assertThat(v.getState()).isEqualTo(ResultVerdict.State.VALID);
        });
        assertThat(Sealing.of(Map.of("abc", Set.of(8L))).trial(t)).as("no replica of it out").isEqualTo(t);

        ResultVerdict crashed = ResultVerdict.newBuilder().setEnvelopeId("id2").setStatus(Result.Status.CRASH)
                .setState(ResultVerdict.State.ERROR).build();
        Trial withCrash = Sealing.of(Map.of("abc", Set.of(7L))).trial(t.toBuilder().addResults(crashed).build());
        assertThat(withCrash.getResults(1)).as("a crash has no metric to hide").isEqualTo(crashed);
    }
}
