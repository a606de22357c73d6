package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * A node signs back the seed commitment its unit carried, and says it does even when the unit
 * carried none: the runner's attestation that the coordinator had committed to the candidate's
 * confirmation secret before it ran (`rhizome verify` checks it against the reveal).
 */
class ResultAttestsCommitmentTest {
    private static WorkUnit unit(ByteString commitment) {
        return WorkUnit.newBuilder().setId("u-1").setKind(WorkUnit.Kind.EVALUATE).setSeed("tiny-lm").setDirection("d")
                .setCommit("a".repeat(40)).setParent("b".repeat(40)).setRandomSeed(42)
                .setManifest(Manifest.getDefaultInstance()).setSeedCommitment(commitment).build();
    }

    @Test
    void theUnitsCommitmentIsSignedBackAndItsAbsenceToo() {
        ByteString commitment = ByteString.copyFrom(HexFormat.of().parseHex("5e".repeat(32)));
        Result carried = Evaluator.unfetchable(unit(commitment), "cpu:x86_64", Identity.generate(), "no peer", 1L);
        assertThat(carried.getSeedCommitment()).isEqualTo(commitment);
        assertThat(carried.getAttestsSeedCommitment()).isTrue();

        Result none = Evaluator.unfetchable(unit(ByteString.EMPTY), "cpu:x86_64", Identity.generate(), "no peer", 1L);
        assertThat(none.getSeedCommitment()).isEmpty();
        assertThat(none.getAttestsSeedCommitment()).as("a lease without a commitment is told from an older node")
                .isTrue();
    }
}
