package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import org.junit.jupiter.api.Test;

class UnansweredClaimTest {
    private static final SignedEnvelope SIGNED = SignedEnvelope.newBuilder().setPayload(ByteString.copyFromUtf8("c")).build();

    private static ClaimRequest claim(long timeMs, WorkUnit.Kind kind) {
        return ClaimRequest.newBuilder().setNode(ByteString.copyFromUtf8("me")).setHardwareClass("cpu")
                .addKinds(kind).setTimeMs(timeMs).build();
    }

    @Test
    void theSameClaimAskedLaterTakesItOnceSoTwoSlotsNeverShareAUnit() {
        UnansweredClaim kept = new UnansweredClaim();
        kept.keep(claim(1_000, WorkUnit.Kind.EVALUATE), SIGNED, 1_000);
        assertThat(kept.take(claim(5_000, WorkUnit.Kind.EVALUATE), 5_000)).contains(SIGNED);
        assertThat(kept.take(claim(6_000, WorkUnit.Kind.EVALUATE), 6_000)).as("taken once").isEmpty();
    }

    @Test
    void aDifferentClaimOrOneTooOldForTheCoordinatorSignsAfresh() {
        UnansweredClaim kept = new UnansweredClaim();
        kept.keep(claim(1_000, WorkUnit.Kind.EVALUATE), SIGNED, 1_000);
        assertThat(kept.take(claim(2_000, WorkUnit.Kind.EXPLORE), 2_000)).isEmpty();
        assertThat(kept.take(claim(2_000, WorkUnit.Kind.EVALUATE), 1_000 + UnansweredClaim.MAX_AGE_MS + 1)).isEmpty();
    }

    private static SignedEnvelope signed(String payload) {
        return SignedEnvelope.newBuilder().setPayload(ByteString.copyFromUtf8(payload)).build();
    }

    /** A node's slots each had a claim in flight when the answers were cut: each claim goes again, to one slot. */
    @Test
    void everyUnansweredClaimIsKeptAndEachIsTakenByOneLaterClaimOldestFirst() {
        UnansweredClaim kept = new UnansweredClaim();
        kept.keep(claim(1_200, WorkUnit.Kind.EVALUATE), signed("second"), 1_200);
        kept.keep(claim(1_000, WorkUnit.Kind.EVALUATE), signed("first"), 1_000);
        kept.keep(claim(1_100, WorkUnit.Kind.EXPLORE), signed("explore"), 1_100);
        assertThat(kept.take(claim(5_000, WorkUnit.Kind.EVALUATE), 5_000)).contains(signed("first"));
        assertThat(kept.take(claim(5_000, WorkUnit.Kind.EVALUATE), 5_000)).contains(signed("second"));
        assertThat(kept.take(claim(5_000, WorkUnit.Kind.EVALUATE), 5_000)).isEmpty();
        assertThat(kept.take(claim(5_000, WorkUnit.Kind.EXPLORE), 5_000)).contains(signed("explore"));
    }

    @Test
    void aClaimSentAgainAndUnansweredAgainIsKeptOnceWithItsFirstAge() {
        UnansweredClaim kept = new UnansweredClaim();
        kept.keep(claim(1_000, WorkUnit.Kind.EVALUATE), SIGNED, 1_000);
        kept.keep(claim(1_000, WorkUnit.Kind.EVALUATE), SIGNED, 200_000);
        assertThat(kept.size()).isEqualTo(1);
        assertThat(kept.take(claim(2_000, WorkUnit.Kind.EVALUATE), 1_000 + UnansweredClaim.MAX_AGE_MS + 1))
                .as("aged from its signing, not from its last send").isEmpty();
    }

    @Test
    void pastItsCapacityTheOldestClaimGoes() {
        UnansweredClaim kept = new UnansweredClaim();
        kept.capacity(2);
        kept.keep(claim(1_000, WorkUnit.Kind.EVALUATE), signed("a"), 1_000);
        kept.keep(claim(1_100, WorkUnit.Kind.EVALUATE), signed("b"), 1_100);
        kept.keep(claim(1_200, WorkUnit.Kind.EVALUATE), signed("c"), 1_200);
        assertThat(kept.take(claim(2_000, WorkUnit.Kind.EVALUATE), 2_000)).contains(signed("b"));
        assertThat(kept.take(claim(2_000, WorkUnit.Kind.EVALUATE), 2_000)).contains(signed("c"));
        assertThat(kept.take(claim(2_000, WorkUnit.Kind.EVALUATE), 2_000)).isEmpty();
    }
}
