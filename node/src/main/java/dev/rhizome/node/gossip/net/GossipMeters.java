package dev.rhizome.node.gossip.net;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.LongSupplier;

/**
 * The peer layer's counts, kept as the Micrometer meters {@code /metrics} serves (under names that
 * are a contract: add, never rename). The node's registry is given at start, so the counts are
 * kept once, here, and read at each scrape; {@link GossipService#counters()} reads the same meters.
 */
final class GossipMeters {
    private final Counter sent;
    private final Counter dropped;
    private final Counter received;
    private final Counter fetchesStarted;
    private final Counter violations;
    private final Counter resultsHeard;
    private final Counter clockSkews;
    private final LongSupplier bytesReceived;

    /** @param bytesReceived bundle bytes received from peers, counted by the fetcher as it reads them */
    GossipMeters(MeterRegistry registry, LongSupplier bytesReceived) {
        this.bytesReceived = bytesReceived;
        sent = counter(registry, "rhizome_node_gossip_messages_sent", "Gossip messages written to links");
        received = counter(registry, "rhizome_node_gossip_messages_received", "Gossip messages read from links");
        dropped = counter(registry, "rhizome_node_gossip_messages_dropped", "Gossip messages dropped on a full link");
        violations = counter(registry, "rhizome_node_protocol_violations", "Protocol violations by peers");
        fetchesStarted = counter(registry, "rhizome_node_fetches_started", "Bundle fetches started from peers");
        resultsHeard = counter(registry, "rhizome_node_results_heard",
                "Verified results heard from the gossip network (this node's own not counted)");
        clockSkews = counter(registry, "rhizome_node_gossip_clock_skews",
                "Peers' own records refused for a date further from this node's clock than the skew allowed"
                        + " (rising with most peers: this node's clock is wrong)");
        FunctionCounter.builder("rhizome_node_bytes_fetched", bytesReceived, s -> s.getAsLong())
                .description("Bundle bytes received from peers").register(registry);
    }

    private static Counter counter(MeterRegistry registry, String name, String description) {
        return Counter.builder(name).description(description).register(registry);
    }

    void sent() {
        sent.increment();
    }

    /** One more message dropped on a link that stopped reading; returns how many in all. */
    long dropped() {
        dropped.increment();
        return (long) dropped.count();
    }

    void received() {
        received.increment();
    }

    void fetchStarted() {
        fetchesStarted.increment();
    }

    void violation() {
        violations.increment();
    }

    void resultHeard() {
        resultsHeard.increment();
    }

    void clockSkew() {
        clockSkews.increment();
    }

    long resultsHeard() {
        return (long) resultsHeard.count();
    }

    GossipService.Counters counters() {
        return new GossipService.Counters((long) sent.count(), (long) dropped.count(), (long) received.count(),
                (long) fetchesStarted.count(), bytesReceived.getAsLong(), (long) violations.count());
    }
}
