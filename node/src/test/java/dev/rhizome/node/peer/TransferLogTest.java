package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransferLogTest {
    @TempDir
    Path tmp;

    @Test
    void sumsTransfersAndBytesBySource() throws Exception {
        Path file = tmp.resolve("transfers.jsonl");
        TransferLog log = new TransferLog(file);
        PeerEndpoint alice = PeerEndpoint.newBuilder().setHost("10.0.0.1").setPort(7000).setNode(ByteString.copyFrom(new byte[32])).build();
        PeerEndpoint bob = PeerEndpoint.newBuilder().setHost("bob\"s \\ host").setPort(7001).build();

        log.record(new FetchResult("a".repeat(40), alice, 1000, 12, false));
        log.record(new FetchResult("b".repeat(40), alice, 500, 3, false));
        log.record(new FetchResult("c".repeat(40), bob, 5_000_000_000L, 9000, false));
        log.record(FetchResult.alreadyHeld("d".repeat(40)));
        Files.writeString(file, "{\"time\":\"2026-", StandardOpenOption.APPEND);  // a crash mid-line

        TransferLog.Totals totals = TransferLog.read(file);

        assertThat(totals.transfers()).isEqualTo(3);
        assertThat(totals.bytes()).isEqualTo(5_000_001_500L);
        assertThat(totals.bytesBySource()).containsOnly(Map.entry("10.0.0.1:7000", 1500L), Map.entry("bob\"s \\ host:7001", 5_000_000_000L));
        assertThat(Files.readAllLines(file).get(0)).contains("\"node\":\"" + "00".repeat(32) + "\"");
    }

    /** A node killed mid-append, then started again: its next transfer is counted, not glued to the torn line. */
    @Test
    void aTransferRecordedAfterATornLineIsCounted() throws Exception {
        Path file = tmp.resolve("transfers.jsonl");
        TransferLog log = new TransferLog(file);
        PeerEndpoint alice = PeerEndpoint.newBuilder().setHost("10.0.0.1").setPort(7000).build();
        log.record(new FetchResult("a".repeat(40), alice, 1000, 12, false));
        Files.writeString(file, "{\"time\":\"2026-", StandardOpenOption.APPEND);  // killed mid-line

        log.record(new FetchResult("b".repeat(40), alice, 500, 3, false));

        TransferLog.Totals totals = TransferLog.read(file);
        assertThat(totals.transfers()).isEqualTo(2);
        assertThat(totals.bytes()).isEqualTo(1500L);
    }

    @Test
    void aMissingLogIsEmpty() {
        assertThat(TransferLog.read(tmp.resolve("none.jsonl"))).isEqualTo(new TransferLog.Totals(0, 0, Map.of()));
    }
}
