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
    }
}
