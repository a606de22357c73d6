package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Seeded random floods (the seed is in every failure message; the same seed replays the same flood). */
class GossipBoundedStateTest {
    static final int SEEDS = 20;

    /** Small bounds so a short flood overflows them; fast rate limits so the flood mostly gets through. */
    static final GossipConfig SMALL = new GossipConfig(3, 6, 16, Duration.ofMinutes(2), 64, Duration.ofSeconds(60),
            Duration.ofSeconds(10), 8, 1000, 1000, -32, -64, Duration.ofMinutes(10), Duration.ofSeconds(1),
            Duration.ofSeconds(60));

    // Signing dominates these tests, so the flood is signed once and replayed in different orders.
    static final List<Peer> FLOODERS = List.of(new Peer(), new Peer(), new Peer());
    static final List<List<SignedEnvelope>> INVENTORIES = new ArrayList<>();
    static final List<SignedEnvelope> STRANGERS = new ArrayList<>();
    static final long T0 = 50_000_000;

    static {
        int n = 0;
        for (Peer p : FLOODERS) {
            List<SignedEnvelope> mine = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                mine.add(p.inventory(T0 + i * 10L, Peer.commit(n++), Peer.commit(n++)));
            }
            INVENTORIES.add(mine);
        }
        for (int i = 0; i < 100; i++) {
            STRANGERS.add(new Peer().hello(T0));
        }
    }

    GossipCore core(long seed) {
        return core(seed, Wants.everything());
    }

    GossipCore core(long seed, Wants wants) {
        return new GossipCore(new Peer().identity, NodeInfo.newBuilder().setHost("h").setPort(1).build(), SMALL,
                new Random(seed), TestNet.SIGNATURES, wants);
    }

    @Test
    void aFloodOfDistinctAnnouncementsKeepsEveryStructureBounded() {
        floods(Wants.everything());
    }

    /**
     * Under the wants filter nothing announced is fetched unasked: every commit is remembered with
     * its announcers instead, which must stay within the same bounds.
     */
    @Test
    void aFloodOfDistinctAnnouncementsKeepsEveryStructureBoundedUnderTheWantsFilter() {
        floods(Wants.workAndReplicas(3));
    }

    private void floods(Wants wants) {
        for (long seed = 1; seed <= SEEDS; seed++) {
            int msPerMessage = new Random(-seed).nextInt(51);
            try {
                flood(seed, msPerMessage, wants);
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + " (" + msPerMessage + " ms per message) failed: " + e.getMessage(), e);
            }
        }
    }

    private void flood(long seed, int msPerMessage, Wants wants) {
        Random random = new Random(seed);
        GossipCore core = core(seed, wants);
        long now = T0;
        for (Peer p : FLOODERS) {
            core.onConnected(p.id, p.hello(T0), false, now);
        }
        int[] next = new int[FLOODERS.size()];
        for (int sent = 0; sent < 450; sent++) {
            int f = random.nextInt(FLOODERS.size());
            if (next[f] == INVENTORIES.get(f).size()) {
                continue;
            }
            now += random.nextInt(msPerMessage + 1);
            core.onMessage(FLOODERS.get(f).id, Peer.announce(INVENTORIES.get(f).get(next[f]++)), now);
            if (sent % 50 == 0) {
                core.onTick(now);
            }
            GossipStats stats = core.stats();
            assertThat(stats.seenCacheSize()).isLessThanOrEqualTo(SMALL.maxSeen());
            assertThat(stats.peerTableSize()).isLessThanOrEqualTo(SMALL.maxKnownPeers());
            assertThat(stats.wanted()).isLessThanOrEqualTo(Math.max(SMALL.maxCommitsPerInventory(), SMALL.maxSeen() / 10));
        }
    }

    @Test
    void peerExchangeFloodsNeverGrowThePeerTablePastItsBound() {
        for (long seed = 1; seed <= SEEDS; seed++) {
            try {
                exchangeFlood(seed);
            } catch (AssertionError e) {
                throw new AssertionError("seed " + seed + " failed: " + e.getMessage(), e);
            }
        }
    }

    private void exchangeFlood(long seed) {
        Random random = new Random(seed);
        GossipCore core = core(seed);
        long now = T0;
        for (Peer p : FLOODERS) {
            core.onConnected(p.id, p.hello(T0), true, now); // outbound: we ask each for peers
        }
        for (Peer p : FLOODERS) {
            List<SignedEnvelope> records = new ArrayList<>(STRANGERS);
            Collections.shuffle(records, random);
            core.onMessage(p.id, Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder()
                    .addAllNodes(records.subList(0, PeerExchanges.EXCHANGE_SIZE))).build(), now);
            assertThat(core.stats().peerTableSize()).isLessThanOrEqualTo(SMALL.maxKnownPeers());
        }
        // failed dials make room for newcomers, still within the bound
        for (int round = 0; round < 20; round++) {
            now += 61_000;
            for (Effect e : core.onTick(now)) {
                if (e instanceof Effect.Dial d) {
                    core.onDialFailed(PublicId.of(d.peer().getNode()), now);
                }
            }
            assertThat(core.stats().peerTableSize()).isLessThanOrEqualTo(SMALL.maxKnownPeers());
        }
    }
}
