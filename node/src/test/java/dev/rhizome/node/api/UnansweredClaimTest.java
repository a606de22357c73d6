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
}
