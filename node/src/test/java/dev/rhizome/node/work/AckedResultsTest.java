package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.files.SmallDisk;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A result acknowledged while the disk is full stays in the outbox until its receipt is kept: it
 * used to leave the outbox with its receipt unwritten, and that receipt was lost for good. On a
 * real (small, filled) file system; what a restarted node finds is read by a fresh outbox.
 */
class AckedResultsTest {
    private final Identity runner = Identity.generate();

    @Test
    void aReceiptTheFullDiskRefusesKeepsItsResultInTheOutboxUntilItIsKept() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(4)) {
            Path outboxDir = disk.root().resolve("outbox");
            ResultOutbox outbox = new ResultOutbox(outboxDir);
            ReceiptBook book = ReceiptBook.besideOutbox(outboxDir);
            AckedResults acked = new AckedResults(outbox, book);
            SignedEnvelope result = Envelopes.sign(runner, Result.newBuilder().setWorkUnitId("u-1").setMetric(1.5)
                    .setRunner(runner.publicId().toByteString()).build());
            outbox.put("u-1", result);
            Ack ack = Ack.newBuilder().setReceipt(receipt(result)).build();

            disk.fill();
            ResultOutbox.Pending pending = outbox.pending().get(0);
            assertThat(acked.settle(pending, ack)).as("settled with its receipt unwritten").isFalse();
            assertThat(book.all()).isEmpty();
            assertThat(acked.storedWithoutReceipt("u-1.result")).as("named so by a stop").isTrue();
            assertThat(new ResultOutbox(outboxDir).pending()).as("what a node killed now finds, to send again")
                    .extracting(ResultOutbox.Pending::envelope).containsExactly(result);

            disk.free();
            assertThat(acked.settle(outbox.pending().get(0), ack)).isTrue();
            assertThat(book.all()).containsExactly(
                    KeptReceipt.newBuilder().setReceipt(receipt(result)).setResult(result).build());
            assertThat(new ResultOutbox(outboxDir).pending()).isEmpty();
            assertThat(acked.storedWithoutReceipt("u-1.result")).isFalse();
        }
    }

    private static SignedEnvelope receipt(SignedEnvelope result) {
        return SignedEnvelope.newBuilder().setVersion(1).setType("rhizome.v1.ResultReceipt")
                .setPayload(ResultReceipt.newBuilder().setEnvelopeId(Envelopes.id(result)).setAuditIndex(7)
                        .setTimeMs(1_000).build().toByteString())
                .setSignature(ByteString.copyFrom(new byte[64])).build();
    }
}
