package dev.rhizome.node.metrics;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.GossipStats;
import dev.rhizome.node.gossip.net.GossipService;
import dev.rhizome.node.work.NodeStatus;
import dev.rhizome.node.work.SlotStatus;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * A node's Prometheus metrics (served by {@link MetricsServer} at {@code GET /metrics}). Job
 * outcomes are counted as results are signed; the gossip layer's counts (messages sent, received
 * and dropped, violations, bytes fetched) are its own meters in this registry, given to it at its
 * start ({@code GossipService.start(..., meters)}); everything else (slots, bytes served, peer
 * scores and bans) is read from the running components at each scrape, so no component threads a
 * second set of counters.
 */
public final class NodeMetrics {
    /** A gossip meter ({@code GossipMeters}) that must be in the registry: its absence means gossip counts elsewhere. */
    private static final String GOSSIP_METER = "rhizome_node_gossip_messages_sent";
    private final PrometheusMeterRegistry registry;
    private final GossipService gossip;
    private final Supplier<NodeStatus> status;
    private final MultiGauge peerScores;
    private volatile NodeStatus node;
    private volatile GossipStats core;

    /** The registry to give {@code GossipService.start} and then this class, so both count into one. */
    public static PrometheusMeterRegistry newRegistry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    /**
     * @param registry from {@link #newRegistry()}, the one {@code gossip} was started with
     * @throws IllegalArgumentException when {@code gossip} counts into another registry
     */
    public NodeMetrics(PrometheusMeterRegistry registry, GossipService gossip, Supplier<NodeStatus> status) {
        if (registry.find(GOSSIP_METER).counter() == null) {
            throw new IllegalArgumentException("the gossip service was started with another meter registry: "
                    + GOSSIP_METER + " is not in this one");
        }
        this.registry = registry;
        this.gossip = gossip;
        this.status = status;
        slotGauge("busy", s -> s.job() != null);
        slotGauge("idle", s -> s.job() == null);
        FunctionCounter.builder("rhizome_node_jobs_run", this, m -> m.node == null ? 0 : m.node.credit().jobsRun())
                .description("Jobs run by this node's slots (evaluations and explorations)").register(registry);
        Gauge.builder("rhizome_node_outbox_pending", this, m -> m.node == null ? 0 : m.node.credit().outboxPending())
                .description("Signed results not yet acknowledged by the coordinator").register(registry);
        Gauge.builder("rhizome_node_receipts_unkept", this, m -> m.node == null || m.node.credit().receiptsUnkept() == null
                        ? 0 : m.node.credit().receiptsUnkept().results())
                .description("Results the coordinator stored whose receipts the node could not write (kept in the outbox)")
                .register(registry);
        Gauge.builder("rhizome_node_paused", this, m -> m.node != null && m.node.paused() ? 1 : 0)
                .description("1 while the volunteer has paused the node").register(registry);
        FunctionCounter.builder("rhizome_node_bytes_served", gossip, GossipService::bytesServed)
                .description("Bundle bytes streamed to peers").register(registry);
        Gauge.builder("rhizome_node_bundle_readers_blocked", gossip, GossipService::bundleReadersBlocked)
                .description("Bundle file readers held by a read past 4 s; at 4 every upload is answered BUSY (a blocked disk)")
                .register(registry);
        coreCounter("rhizome_node_fetches_completed", "Bundles fetched and imported", GossipStats::fetchesCompleted);
        coreCounter("rhizome_node_fetches_failed", "Fetches failed, stalled or abandoned", GossipStats::fetchesFailed);
        coreCounter("rhizome_node_announcements_invalid", "Announcements refused (signature, signer, time, limits)",
                GossipStats::invalid);
        coreCounter("rhizome_node_peers_banned", "Bans this node imposed on peers", GossipStats::peersBanned);
        Gauge.builder("rhizome_node_peers_connected", this, m -> m.core == null ? 0 : m.core.connected())
                .description("Open gossip links").register(registry);
        Gauge.builder("rhizome_node_peers_known", this, m -> m.core == null ? 0 : m.core.peerTableSize())
                .description("Peers in the peer table").register(registry);
        diskGauge("rhizome_node_repo_bytes", "Bytes of the git repository's objects (-1 when unreadable)",
                NodeStatus.Disk::repoBytes);
        diskGauge("rhizome_node_repo_budget_bytes", "The git repository's budget (--repo-mb)", NodeStatus.Disk::repoBudgetBytes);
        diskGauge("rhizome_node_repo_packs", "Pack files of the git repository (repacked past 50)", NodeStatus.Disk::repoPacks);
        diskGauge("rhizome_node_keep_bytes", "Bytes kept (or reserved) for neighbours that named this node keeper",
                NodeStatus.Disk::keptBytes);
        diskGauge("rhizome_node_keep_budget_bytes", "The bytes this node keeps for neighbours at most (half --repo-mb)",
                NodeStatus.Disk::keepBudgetBytes);
        FunctionCounter.builder("rhizome_node_keep_declined", this,
                        m -> m.node == null || m.node.disk() == null ? 0 : m.node.disk().keepDeclined())
                .description("Keeper duties declined for want of room in the keep budget").register(registry);
        peerScores = MultiGauge.builder("rhizome_node_peer_score")
                .description("Score of each connected peer (negative scores lead to a ban)").register(registry);
    }

    private void diskGauge(String name, String description, ToDoubleFunction<NodeStatus.Disk> f) {
        Gauge.builder(name, this, m -> m.node == null || m.node.disk() == null ? 0 : f.applyAsDouble(m.node.disk()))
                .description(description).register(registry);
    }

    private void slotGauge(String state, Predicate<SlotStatus> counted) {
        Gauge.builder("rhizome_node_slots", this,
                        m -> m.node == null ? 0 : m.node.slots().stream().filter(counted).count())
                .description("Job slots by state").tag("state", state).register(registry);
    }

    private void coreCounter(String name, String description, ToDoubleFunction<GossipStats> f) {
        FunctionCounter.builder(name, this, m -> m.core == null ? 0 : f.applyAsDouble(m.core))
                .description(description).register(registry);
    }

    /** A result this node signed: counts its job by status (OK, FAILED, TIMEOUT, ...). */
    public void resultSigned(SignedEnvelope signed) {
        String outcome;
        try {
            outcome = Result.parseFrom(signed.getPayload()).getStatus().name();
        } catch (InvalidProtocolBufferException e) {
            outcome = "UNREADABLE";
        }
        Counter.builder("rhizome_node_jobs").description("Evaluation jobs by the status of their signed result")
                .tag("status", outcome).register(registry).increment();
    }

    /** The Prometheus text exposition, with the read-at-scrape values taken now. */
    public String scrape() throws InterruptedException {
        node = status.get();
        Map<String, Double> scores = gossip.query(p -> {
            if (p instanceof GossipCore c) {
                core = c.stats();
                Map<String, Double> out = new TreeMap<>();
                c.connectedPeers().forEach(peer -> out.put(peer.toString(), c.score(peer)));
                return out;
            }
            return Map.of();
        });
        List<MultiGauge.Row<?>> rows = scores.entrySet().stream()
                .<MultiGauge.Row<?>>map(e -> MultiGauge.Row.of(Tags.of("peer", e.getKey()), e.getValue())).toList();
        peerScores.register(rows, true);
        return registry.scrape();
    }
}
