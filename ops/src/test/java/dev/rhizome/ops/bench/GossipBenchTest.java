package dev.rhizome.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GossipBenchTest {

    @Test
    void aSmallLoopbackRunReportsDeliveryAgainstOneDirectTransferOfTheSameBundle() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        GossipBenchReport report = GossipBench.run(new GossipBenchConfig(6, 3, 2, 32 << 10, 5, Duration.ofSeconds(60)),
                new PrintStream(log, true));

        assertThat(report.gossip().deliveredFraction()).isEqualTo(1.0);
        assertThat(report.directTransferMs()).isPositive();
        assertThat(log.toString()).contains("direct: one transfer of a 32768-byte bundle");
        JsonObject json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertThat(json.get("direct_transfer_ms").getAsLong()).isEqualTo(report.directTransferMs());
        assertThat(json.get("p50_to_direct").getAsDouble())
                .isCloseTo((double) json.get("p50_delivery_ms").getAsLong() / report.directTransferMs(),
                        org.assertj.core.data.Offset.offset(0.01));
        assertThat(report.toText()).contains("one direct transfer:");
        // A warm-up round of as many bundles first; the baselines reported are those measured after it.
        assertThat(json.get("warmup_bundles").getAsInt()).isEqualTo(2);
        assertThat(json.get("cold_direct_transfer_ms").getAsLong()).isPositive();
        assertThat(log.toString()).contains("cold direct: one transfer").contains("gossip warm-up: 2 bundles");
        assertThat(json.get("delivery_cpu_ms_per_copy").getAsDouble()).isPositive();
        assertThat(json.get("core_verifies_per_copy").getAsDouble()).isPositive();
    }

    @Test
    void aMultiPieceBundleAlsoReportsOneRangedFetchFromSeveralHoldersInTheSameRun() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        // Three pieces of 1 MiB, no flooding baseline, no pacing: keys, not speed.
        GossipBenchReport report = GossipBench.run(new GossipBenchConfig(5, 2, 1, (5 << 20) / 2, 3, Duration.ofSeconds(120),
                false, 3, 0, 0), new PrintStream(log, true));

        assertThat(report.gossip().deliveredFraction()).isEqualTo(1.0);
        assertThat(report.flood()).isNull();
        assertThat(report.rangedTransferMs()).isPositive();
        JsonObject json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertThat(json.get("ranged_transfer_ms").getAsLong()).isEqualTo(report.rangedTransferMs());
        assertThat(json.get("ranged_holders").getAsInt()).isEqualTo(3);
        assertThat(json.get("full_delivery_ms").getAsLong()).isEqualTo(json.get("p99_delivery_ms").getAsLong());
        assertThat(json.get("upload_bytes_per_second").getAsLong()).isZero();
        assertThat(json.has("load_average")).isTrue();
        assertThat(json.has("flood_amplification")).isFalse();
        assertThat(json.get("warmup_bundles").getAsInt()).isZero(); // measured cold: no second set of probes
        assertThat(json.get("cold_direct_transfer_ms").getAsLong()).isEqualTo(-1);
        assertThat(log.toString()).contains("ranged: one fetch of it in pieces from 3 holders at once");
    }

    @Test
    void withAHeldHistoryEveryBundleTravelsThinOnItsTipAndTheBaselinesFetchTheSameShape() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int bytes = 16 << 10;
        // 4 history commits of 16 KiB each: a bundle sent whole would carry them too, 5 random blobs.
        GossipBenchReport report = GossipBench.run(new GossipBenchConfig(5, 2, 2, bytes, 7, Duration.ofSeconds(120),
                false, 2, 0, 1, 4), new PrintStream(log, true));

        assertThat(report.gossip().deliveredFraction()).isEqualTo(1.0);
        long copies = report.gossip().copiesDelivered();
        assertThat(copies).isEqualTo(4 * 2);
        // Thin: what each copy needed and what was received are one blob's worth, not the history's five.
        assertThat(report.gossip().bundleBytesNeeded()).isBetween(copies * bytes, copies * 2L * bytes);
        assertThat(report.gossip().bundleBytesReceived()).isLessThan(copies * 2L * bytes);
        assertThat(report.directTransferMs()).isPositive();
        assertThat(report.rangedTransferMs()).isPositive();
        JsonObject json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertThat(json.get("held_history_commits").getAsInt()).isEqualTo(4);
        assertThat(report.toText()).contains("each thin on a held history of 4 commits");
        assertThat(log.toString()).contains("held history: 4 commits every node holds")
                .contains("giving the held history (4 commits, one pack each) to nodes 1-5 of 5");
    }

    @Test
    void aHeldHistoryOutOfItsRangeIsRefusedNamingTheOption() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new GossipBenchConfig(5, 2, 2, 1024, 7,
                        Duration.ofSeconds(10), false, 0, 0, 0, GossipBenchConfig.MAX_HELD_HISTORY + 1))
                .hasMessageContaining("--held-history").hasMessageContaining("up to " + GossipBenchConfig.MAX_HELD_HISTORY);
        assertThat(new GossipBenchConfig(5, 2, 2, 1024, 7, Duration.ofSeconds(10)).heldHistory()).isZero();
    }
}
