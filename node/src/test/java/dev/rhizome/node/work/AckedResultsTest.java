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
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A result acknowledged while the disk is full stays in the outbox until its receipt is kept: it
 * used to leave the outbox with its receipt unwritten, and that receipt was lost for good. On a
 * real (small, filled) file system; what a restarted node finds is read by a fresh outbox.
 */
class AckedResultsTest {
    private final Identity runner = Identity.generate();
    @TempDir
    Path tmp;
    private long now = 1_000_000;

    @Test
    void aReceiptTheFullDiskRefusesKeepsItsResultInTheOutboxUntilItIsKept() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(4)) {
            Path outboxDir = disk.root().resolve("outbox");
            ResultOutbox outbox = new ResultOutbox(outboxDir);
            ReceiptBook book = ReceiptBook.besideOutbox(outboxDir);
            AckedResults acked = new AckedResults(outbox, book, () -> now);
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

    /**
     * A receipt's write that fails for good (here the receipts directory's place taken by a file, as
     * an unwritable directory is for a node not run as root): the results stay in the outbox, each
     * asked for again less and less often (10 s doubling to 10 minutes) rather than every two
     * seconds, the status names how many, since when and why, and the log says it once, again only
     * every half hour or when the reason changes, and once more when receipts are kept again.
     */
    @Test
    void aReceiptWriteThatFailsForGoodIsRetriedLessOftenShownInTheStatusAndWarnedOnce() throws Exception {
        Path outboxDir = tmp.resolve("outbox");
        ResultOutbox outbox = new ResultOutbox(outboxDir);
        Path receiptsDir = outboxDir.resolveSibling(ReceiptBook.DIR_NAME);
        Files.writeString(receiptsDir, "not a directory");
        AckedResults acked = new AckedResults(outbox, ReceiptBook.besideOutbox(outboxDir), () -> now);
        SignedEnvelope first = result("u-1");
        SignedEnvelope second = result("u-2");
        outbox.put("u-1", first);
        outbox.put("u-2", second);
        Logger logger = (Logger) LoggerFactory.getLogger(AckedResults.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try {
            long since = now;
            for (ResultOutbox.Pending pending : outbox.pending()) {
                assertThat(acked.settle(pending, ack(pending.envelope()))).isFalse();
            }
            assertThat(acked.unkept()).hasValueSatisfying(u -> {
                assertThat(u.results()).isEqualTo(2);
                assertThat(u.sinceMs()).isEqualTo(since);
                assertThat(u.problem()).contains(receiptsDir.getFileName().toString());
            });
            assertThat(acked.due("u-1.result")).as("not sent again at the next two-second round").isFalse();

            // an hour of rounds every two seconds: each result is sent again at its retry only
            int resends = 0;
            for (int round = 0; round < 1800; round++) {
                now += 2_000;
                for (ResultOutbox.Pending pending : outbox.pending()) {
                    if (acked.due(pending.file().getFileName().toString())) {
                        resends++;
                        assertThat(acked.settle(pending, ack(pending.envelope()))).isFalse();
                    }
                }
            }
            // 10, 20, 40, 80, 160, 320 s, then every 600 s: 10 tries in the hour, each result
            assertThat(resends).as("resends in an hour for two results").isEqualTo(20);
            assertThat(warnings(lines)).as("the first failure, then a reminder after half an hour").hasSize(2)
                    .allSatisfy(line -> assertThat(line).contains("wait in the outbox for their receipts"))
                    .last().asString().contains("2 results wait");
            assertThat(new ResultOutbox(outboxDir).pending()).as("what a node killed now finds, to send again")
                    .hasSize(2);

            Files.delete(receiptsDir);
            now += AckedResults.RETRY_MAX_MS;
            for (ResultOutbox.Pending pending : outbox.pending()) {
                assertThat(acked.due(pending.file().getFileName().toString())).isTrue();
                assertThat(acked.settle(pending, ack(pending.envelope()))).isTrue();
            }
            assertThat(acked.unkept()).isEmpty();
            assertThat(outbox.pending()).isEmpty();
            assertThat(ReceiptBook.besideOutbox(outboxDir).all()).hasSize(2);
            assertThat(lines.list).filteredOn(e -> e.getLevel() == Level.INFO)
                    .extracting(ILoggingEvent::getFormattedMessage).singleElement().asString()
                    .startsWith("receipts are kept again");
        } finally {
            logger.detachAppender(lines);
        }
    }

    /** A result refused when sent again for its receipt left the outbox: the status no longer counts it. */
    @Test
    void aResultRefusedAtItsResendIsNoLongerCountedAsWaitingForItsReceipt() throws Exception {
        Path outboxDir = tmp.resolve("outbox");
        ResultOutbox outbox = new ResultOutbox(outboxDir);
        Files.writeString(outboxDir.resolveSibling(ReceiptBook.DIR_NAME), "not a directory");
        AckedResults acked = new AckedResults(outbox, ReceiptBook.besideOutbox(outboxDir), () -> now);
        outbox.put("u-1", result("u-1"));
        ResultOutbox.Pending pending = outbox.pending().get(0);
        assertThat(acked.settle(pending, ack(pending.envelope()))).isFalse();
        assertThat(acked.unkept()).isPresent();

        outbox.refuse(pending);
        acked.dropped("u-1.result");
        assertThat(acked.unkept()).isEmpty();
        assertThat(acked.storedWithoutReceipt("u-1.result")).isFalse();
    }

    private static List<String> warnings(ListAppender<ILoggingEvent> lines) {
        return lines.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
    }

    private SignedEnvelope result(String unit) {
        return Envelopes.sign(runner, Result.newBuilder().setWorkUnitId(unit).setMetric(1.5)
                .setRunner(runner.publicId().toByteString()).build());
    }

    private static Ack ack(SignedEnvelope result) {
        return Ack.newBuilder().setReceipt(receipt(result)).build();
    }

    private static SignedEnvelope receipt(SignedEnvelope result) {
        return SignedEnvelope.newBuilder().setVersion(1).setType("rhizome.v1.ResultReceipt")
                .setPayload(ResultReceipt.newBuilder().setEnvelopeId(Envelopes.id(result)).setAuditIndex(7)
                        .setTimeMs(1_000).build().toByteString())
                .setSignature(ByteString.copyFrom(new byte[64])).build();
    }
}
