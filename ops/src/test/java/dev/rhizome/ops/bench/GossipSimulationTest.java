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
        assertThat(report.fetchesBusy()).as("the defaults have busy holders").isPositive();
        assertThat(report.peersBanned()).as("busy is no offence").isZero();

        JsonObject json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertThat(json.get("mode").getAsString()).isEqualTo("simulation");
        assertThat(json.keySet()).contains("nodes", "bundles", "delivered_fraction", "amplification", "p50_delivery_ms",
                "p99_delivery_ms", "full_delivery_ms", "rounds", "control_messages_per_node", "fetches_busy");
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

    /**
     * One node in ten answers every ask BUSY while announcing all it holds (the rogue that would take
     * the others' fetch slots), and honest holders answer one ask in five BUSY: every node still gets
     * every bundle, nothing extra is downloaded (a BUSY sends no bytes), and no one is banned for it.
     */
    @Test
    void holdersBusyNowAndThenOrForeverStallNoDeliveryAndCostNoOne() {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        SimulationConfig base = SimulationConfig.defaults().withNodes(300).withBundles(4).withSeed(23);
        SimulationReport calm = GossipSimulation.run(base.withBusy(0, 0), quiet);
        SimulationReport busy = GossipSimulation.run(base.withBusy(0.2, 0.1), quiet);

        assertThat(calm.fetchesBusy()).isZero();
        assertThat(busy.fetchesBusy()).isGreaterThan(100);
        assertThat(busy.deliveredFraction()).isEqualTo(1.0);
        assertThat(busy.amplification()).isBetween(1.0, 1.1);
        assertThat(busy.peersBanned()).isZero();
        // Every busy answer is a round trip that moves nothing: it delays, within a few stall windows.
        assertThat(busy.fullDeliveryMs()).isLessThan(calm.fullDeliveryMs() + 60_000);
    }
}
