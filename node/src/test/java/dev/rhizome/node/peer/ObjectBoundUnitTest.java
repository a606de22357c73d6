package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The object bound, one rule for a whole transfer and a fetch in pieces: judged on the pack's header as bytes arrive. */
class ObjectBoundUnitTest {
    /** A bundle's first bytes: its text header, then a pack header declaring {@code objects}. */
    static byte[] bundleStart(long objects) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("# v2 git bundle\n" + "a".repeat(40) + " refs/heads/main\n\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(ByteBuffer.allocate(12).putInt(0x5041434b).putInt(2).putInt((int) objects).array());
        return out.toByteArray();
    }

    @Test
    void aPackDeclaringMoreObjectsThanTheBoundIsTooLargeHereAtItsHeaderEvenByteByByte() {
        ObjectBound bound = new ObjectBound(1_000);
        byte[] start = bundleStart(1_001);

        assertThatThrownBy(() -> {
            for (byte b : start) {
                bound.update(ByteBuffer.wrap(new byte[] {b}));
            }
        }).isInstanceOfSatisfying(PeerFailure.class, f -> {
            assertThat(f.kind()).as("no fault: a larger heap takes it").isEqualTo(PeerFailure.Kind.TOO_LARGE);
            assertThat(f.getMessage()).contains("1001 objects", "limit of 1000");
        });
    }

    @Test
    void aPackWithinTheBoundPasses() throws PeerFailure {
        ObjectBound bound = new ObjectBound(1_000);
        bound.update(ByteBuffer.wrap(bundleStart(1_000)));
        bound.update(ByteBuffer.wrap(new byte[100])); // the objects that follow
    }
}
