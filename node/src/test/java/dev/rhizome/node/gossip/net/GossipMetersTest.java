package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.metrics.NodeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/**
 * The gossip layer's counts are kept once, as meters in the node's registry: {@code /metrics}
 * serves them under the names it always has (a contract), and {@link GossipService#counters()}
 * reads the same meters, so the two never disagree.
 */
class GossipMetersTest {
    @Test
    void theCountsAreServedUnderTheirPublicNamesAndReadBackAsCounters() {
        PrometheusMeterRegistry registry = NodeMetrics.newRegistry();
        GossipMeters meters = new GossipMeters(registry, () -> 4096);
        meters.sent();
        meters.sent();
        meters.received();
        meters.violation();
        meters.fetchStarted();
        meters.resultHeard();
        assertThat(meters.dropped()).isEqualTo(1);

        String scraped = registry.scrape();
        assertThat(scraped).contains("rhizome_node_gossip_messages_sent_total 2.0",
                "rhizome_node_gossip_messages_received_total 1.0", "rhizome_node_gossip_messages_dropped_total 1.0",
                "rhizome_node_protocol_violations_total 1.0", "rhizome_node_bytes_fetched_total 4096.0",
                "rhizome_node_fetches_started_total 1.0", "rhizome_node_results_heard_total 1.0");
        assertThat(meters.counters()).isEqualTo(new GossipService.Counters(2, 1, 1, 1, 4096, 1));
        assertThat(meters.resultsHeard()).isEqualTo(1);
    }

    @Test
    void nodeMetricsRefusesARegistryTheGossipServiceDoesNotCountInto() {
        assertThatThrownBy(() -> new NodeMetrics(NodeMetrics.newRegistry(), null, () -> null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("another meter registry");
    }
}
