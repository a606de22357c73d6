package dev.rhizome.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class GossipSimulationTest {

    @Test
    void fiveHundredNodesGetEveryBundleDownloadingEachAboutOnce() {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        SimulationReport report = GossipSimulation.run(SimulationConfig.defaults().withNodes(500).withBundles(5),
                new PrintStream(log, true));

        assertThat(report.deliveredFraction()).isEqualTo(1.0);
        assertThat(report.fullDeliveryMs()).isPositive();
        assertThat(report.amplification()).isBetween(1.0, 1.1);
        assertThat(report.rounds()).isBetween(2, 30);
        assertThat(report.p99DeliveryMs()).isGreaterThanOrEqualTo(report.p50DeliveryMs());
        assertThat(log.toString()).contains("simulation done");

        JsonObject json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertThat(json.get("mode").getAsString()).isEqualTo("simulation");
        assertThat(json.keySet()).contains("nodes", "bundles", "delivered_fraction", "amplification", "p50_delivery_ms",
                "p99_delivery_ms", "full_delivery_ms", "rounds", "control_messages_per_node");
    }

    @Test
    void theSameSeedGivesTheSameRun() {
        SimulationConfig config = SimulationConfig.defaults().withNodes(100).withBundles(2).withSeed(7);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        SimulationReport a = GossipSimulation.run(config, quiet);
        SimulationReport b = GossipSimulation.run(config, quiet);
        assertThat(b.p99DeliveryMs()).isEqualTo(a.p99DeliveryMs());
        assertThat(b.amplification()).isEqualTo(a.amplification());
        assertThat(b.controlMessagesPerNode()).isEqualTo(a.controlMessagesPerNode());
    }
}
