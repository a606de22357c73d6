package dev.rhizome.ops.bench;

import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.core.Effect;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What a rogue replaying captured signed records costs a node's gossip core, per message, against
 * baselines measured in the same run on the same thread: the same record sent again while the
 * seen cache holds it (a digest and a look-up), a record dated outside the clock window (dropped
 * before its signature is checked), and a record never seen, which any peer can make for free
 * under made-up keys. The replay case is a captured record sent again once the seen cache forgot
 * it (a core whose cache holds one id), inside the window.
 * Results, the costliest record: every one taken is relayed to each other link.
 *
 * <p>Each case runs on a fresh core with a rogue and five quiet peers linked, the rogue's messages
 * spaced at its link's refill rate on the core's clock, so none is rate-limited; the figure is the
 * thread's CPU time per message after a warm-up of as many.
 */
public final class ReplayCost {
    static final int QUIET_PEERS = 5;
    /** Timed messages a case, by default. */
    public static final int MESSAGES = 2_000;
    private static final long START_MS = 30_000_000;

    private final GossipConfig config = GossipConfig.defaults();
    private final int messages;
    private final PrintStream progress;
    private final CountingSignatureCheck signatures = new CountingSignatureCheck();

    private ReplayCost(int messages, PrintStream progress) {
        this.messages = messages;
        this.progress = progress;
    }

    /** Measures each case with {@code messages} timed messages (and as many untimed first). */
    public static ReplayReport measure(int messages, PrintStream progress) {
        if (messages < 100) {
            throw new IllegalArgumentException("the replay benchmark needs at least 100 messages a case, got " + messages);
        }
        return new ReplayCost(messages, progress).run();
    }

    private ReplayReport run() {
        long started = System.nanoTime();
        int captures = 2 * messages; // the rogue's store of captures, each sent once before its replay
        progress.printf("replay: signing %d records for the four cases%n", captures + 4 * messages);
        List<SignedEnvelope> store = results(captures, START_MS);
        List<SignedEnvelope> fresh = results(2 * messages, START_MS);
        List<SignedEnvelope> stale = results(2 * messages,
                START_MS - config.seenTtl().plus(config.maxClockSkew()).toMillis() - 60_000);

        // Each sent once untimed (the seen cache's first sightings, and the warm-up), then again, timed.
        Case duplicate = timed("a duplicate the seen cache holds", config, store.subList(0, messages), messages);
        Case outside = timed("a record outside the clock window", config, stale, messages);
        // A seen cache of one id: every capture comes back forgotten. (One of the size of the store's
        // quarter still held some 45% of them: its admission keeps ids it has seen before.)
        Case replay = timed("a capture replayed after the seen cache forgot it", withMaxSeen(config, 1), store, captures);
        Case made = timed("a fresh record (made-up key)", config, fresh, messages);
        double seconds = (System.nanoTime() - started) / 1e9;
        return new ReplayReport(messages, duplicate, outside, replay, made, config.announcementsPerSecond(),
                config.announcementBurst(), config.maxDegree(), seconds);
    }

    /** CPU nanoseconds per message, verifications per message and the replays the core took as new. */
    public record Case(String what, double cpuNanos, double verifiesPerMessage, double takenPerMessage) {
    }

    /**
     * Sends the first {@code untimed} of {@code records} (the warm-up), then the next {@link #messages}
     * timed, going round {@code records} from its start where they run out.
     */
    private Case timed(String what, GossipConfig cfg, List<SignedEnvelope> records, int untimed) {
        progress.printf("replay: %s%n", what);
        GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
                cfg, new Random(25), signatures, Wants.everything());
        long[] now = {START_MS};
        core.start(List.of(), now[0]);
        PublicId rogue = link(core, now[0]);
        for (int i = 0; i < QUIET_PEERS; i++) {
            link(core, now[0]);
        }
        long spacing = Math.max(1, 1_000 / cfg.announcementsPerSecond());
        for (int i = 0; i < untimed; i++) {
            send(core, rogue, records.get(i % records.size()), now, spacing);
        }
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        signatures.takeCount();
        long received = core.stats().announcementsReceived();
        long cpuStart = cpu.getCurrentThreadCpuTime();
        for (int i = 0; i < messages; i++) {
            send(core, rogue, records.get((untimed + i) % records.size()), now, spacing);
        }
        long cpuNanos = cpu.getCurrentThreadCpuTime() - cpuStart;
        long verifies = signatures.takeCount();
        long taken = core.stats().announcementsReceived() - received;
        if (core.stats().rateLimited() > 0 || core.isBanned(rogue, now[0])) {
            throw new IllegalStateException("the rogue's link was rate-limited or banned: the case measured something else");
        }
        return new Case(what, (double) cpuNanos / messages, (double) verifies / messages, (double) taken / messages);
    }

    private static void send(GossipCore core, PublicId from, SignedEnvelope record, long[] now, long spacing) {
        now[0] += spacing;
        List<Effect> effects = core.onMessage(from, Gossip.newBuilder().setAnnouncement(record).build(), now[0]);
        if (effects.stream().anyMatch(e -> e instanceof Effect.Disconnect)) {
            throw new IllegalStateException("the core cut the rogue's link: " + effects);
        }
    }

    private static PublicId link(GossipCore core, long nowMs) {
        Identity peer = Identity.generate();
        SignedEnvelope info = Envelopes.sign(peer, NodeInfo.newBuilder().setNode(peer.publicId().toByteString())
                .setHost("198.51.100." + (1 + Math.floorMod(peer.publicId().hashCode(), 250))).setPort(7000).setTimeMs(nowMs).build());
        core.onConnected(peer.publicId(), info, false, nowMs);
        return peer.publicId();
    }

    /** {@code count} Results of distinct made-up runners, signed as of {@code timeMs}. */
    private static List<SignedEnvelope> results(int count, long timeMs) {
        List<SignedEnvelope> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Identity runner = Identity.generate();
            out.add(Envelopes.sign(runner, Result.newBuilder().setWorkUnitId("unit-" + i).setCommit("0".repeat(40))
                    .setMetric(2.0).setMetricName("val_bpb").setHardwareClass("cpu:bench")
                    .setRunner(runner.publicId().toByteString()).setLogSha256(ByteString.copyFrom(new byte[32]))
                    .setTimeMs(timeMs).build()));
        }
        return out;
    }

    private static GossipConfig withMaxSeen(GossipConfig d, int maxSeen) {
        return new GossipConfig(d.degree(), d.maxDegree(), d.maxKnownPeers(), d.seenTtl(), maxSeen, d.maxClockSkew(),
                d.fetchStall(), d.maxCommitsPerInventory(), d.announcementsPerSecond(), d.announcementBurst(),
                d.disconnectScore(), d.banScore(), d.banDuration(), d.redialBase(), d.redialMax());
    }
}
