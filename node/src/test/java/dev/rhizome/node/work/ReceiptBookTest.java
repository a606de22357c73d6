package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's receipts on disk: each kept whole beside its result, oldest first, bounded; what a
 * kill mid-write leaves (a temporary file) is no receipt, and an answer without a receipt (an
 * older coordinator's) keeps nothing.
 */
class ReceiptBookTest {
    @TempDir
    Path dir;

    private final Identity coordinator = Identity.generate();
    private final Identity runner = Identity.generate();

    @Test
    void receiptsAreKeptWholeOldestFirstAndBounded() throws Exception {
        ReceiptBook book = new ReceiptBook(dir.resolve(ReceiptBook.DIR_NAME), 3);
        SignedEnvelope[] results = new SignedEnvelope[5];
        for (int i = 0; i < 5; i++) {
            results[i] = result("u" + i);
            // kept out of time order: the book orders by the receipt's time
            book.keep(receipt(results[i], 1_000 + (i % 2 == 0 ? i : 10 + i)), results[i]);
        }
        List<KeptReceipt> kept = book.all();
        assertThat(kept).as("at most 3, the oldest gone").hasSize(3);
        assertThat(kept).extracting(k -> k.getResult()).containsExactly(results[4], results[1], results[3]);
        // a resend's "already recorded" answer carries the same receipt: kept once
        book.keep(kept.get(0).getReceipt(), kept.get(0).getResult());
        assertThat(book.all()).isEqualTo(kept);

        // a kill between the write and its rename leaves a temporary file: no receipt, nothing broken
        Files.write(dir.resolve(ReceiptBook.DIR_NAME).resolve("00000000000000001999-" + "a".repeat(64)
                + ".receipt.1234.tmp"), new byte[] {1, 2, 3});
        assertThat(book.all()).isEqualTo(kept);

        book.keep(SignedEnvelope.getDefaultInstance(), result("old"));
        assertThat(book.all()).as("an older coordinator's answer has no receipt").isEqualTo(kept);
        assertThat(ReceiptBook.besideOutbox(dir.resolve("outbox")).all()).isEqualTo(kept);
    }

    private SignedEnvelope result(String unit) {
        return Envelopes.sign(runner, "net", Result.newBuilder().setWorkUnitId(unit)
                .setRunner(runner.publicId().toByteString()).build());
    }

    private SignedEnvelope receipt(SignedEnvelope result, long timeMs) {
        return Envelopes.sign(coordinator, "net", ResultReceipt.newBuilder().setNetwork("net")
                .setEnvelopeId(Envelopes.id(result)).setAuditIndex(7).setTimeMs(timeMs).build());
    }
}
