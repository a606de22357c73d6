package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * An honest node whose uploads crawl while its gossip goes on (a slow disk, a node starved of CPU at
 * load 30) read as a rogue: its transfers stalled, charged -4, -16, and at its third stall, its link
 * alive, it was banned (-64). What tells it from a rogue is that bytes of the transfer still arrive,
 * however slowly; a rogue that serves nothing sends none. Slow is no offence: it rests as a decliner
 * does, its fetches go to other holders, and a holder that sends nothing while it gossips is still
 * banned. On virtual time, through the core.
 */
class GossipSlowHonestHolderTest {
    /** Under the stall floor (64 KiB per 10 s): a slow disk, or a node at load 30. */
    static final long CRAWL_PER_SECOND = 1_000;
    static final long FAST_PER_SECOND = 1 << 20;

    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
            config, new Random(1), SignatureCheck.envelopes(), Wants.everything());
    final long stallMs = config.fetchStall().toMillis();
    long now = 10_000_000;

    {
        core.start(List.of(), now);
    }

    /** Each holder's pace per transfer, bytes a second (0: sends nothing). */
    final Map<PublicId, Long> pace = new HashMap<>();
    /** Running transfers and the bytes each has sent. */
    final Map<Fetch, long[]> running = new LinkedHashMap<>();
    /** Asks of each holder, and the disconnects the core asked for. */
    final Map<PublicId, Integer> asks = new HashMap<>();
    final List<Disconnect> disconnects = new ArrayList<>();

    void take(List<Effect> effects) {
        for (Effect e : effects) {
            if (e instanceof Fetch f) {
                running.put(f, new long[] {0});
                asks.merge(f.from(), 1, Integer::sum);
            } else if (e instanceof CancelFetch c) {
                running.keySet().removeIf(f -> f.from().equals(c.from()) && f.commit().equals(c.commit()));
            } else if (e instanceof Disconnect d) {
                disconnects.add(d);
            }
        }
    }

    Peer holder(long bytesPerSecond) {
        Peer p = Peer.connectedTo(core, now);
        pace.put(p.id, bytesPerSecond);
        return p;
    }

    /**
     * {@code seconds} of every holder sending at its pace (a fast one's transfer arrives whole at 2
     * MiB), each chatting on its link every 10 s as every node's keepalives and announcements do.
     */
    void run(long seconds, Peer... chatting) {
        for (long s = 0; s < seconds; s++) {
            now += 1_000;
            for (Map.Entry<Fetch, long[]> e : new ArrayList<>(running.entrySet())) {
                Fetch f = e.getKey();
                long rate = pace.getOrDefault(f.from(), 0L);
                if (rate == 0 || !running.containsKey(f)) {
                    continue;
                }
                e.getValue()[0] += rate;
                if (e.getValue()[0] >= 2 * FAST_PER_SECOND) {
                    running.remove(f);
                    take(core.onFetched(f.from(), f.commit(), e.getValue()[0], now));
                } else {
                    take(core.onFetchProgress(f.from(), f.commit(), e.getValue()[0], now));
                }
            }
            if (now % 10_000 == 5_000) {
                for (Peer p : chatting) {
                    take(core.onMessage(p.id, GossipPausedHolderTest.CHAT, now));
                }
            }
            take(core.onTick(now));
        }
    }

    @Test
    void anHonestHolderWhoseUploadsCrawlWhileItGossipsIsNeitherChargedNorBannedNorDropped() {
        Peer crawling = holder(CRAWL_PER_SECOND);
        take(crawling.announces(core, now, GossipDecliningPeerTest.commits(1_000, 4)));

        run(10 * 60, crawling);

        // Its transfers were cut, each within the stall window, again and again: slow, not silent.
        assertThat(core.stats().fetchesFailed()).isGreaterThanOrEqualTo(3);
        assertThat(core.isBanned(crawling.id, now)).isFalse();
        assertThat(core.score(crawling.id)).isZero();
        assertThat(disconnects).isEmpty();
        assertThat(core.connectedPeers()).contains(crawling.id);
        // It rests as a decliner does: asked fewer times than its 3 tries of each of 4 commits.
        assertThat(asks.get(crawling.id)).isLessThanOrEqualTo(3 * 4);
    }

    @Test
    void aCrawlingHoldersFetchesMoveToAnotherHolderWithinAStallWindow() {
        Peer crawling = holder(CRAWL_PER_SECOND);
        String[] commits = GossipDecliningPeerTest.commits(2_000, 2);
        take(crawling.announces(core, now, commits));
        assertThat(running.keySet()).allMatch(f -> f.from().equals(crawling.id)).hasSize(2);
        Peer fast = holder(FAST_PER_SECOND);
        take(fast.announces(core, now, commits));

        run(stallMs / 1_000 + 5, crawling, fast);

        assertThat(core.stats().fetchesCompleted()).as("both served by the other holder").isEqualTo(2);
        assertThat(core.score(crawling.id)).isZero();
        assertThat(core.score(fast.id)).isZero();
        assertThat(core.isBanned(crawling.id, now)).isFalse();
    }

    /** The other side: a holder that sends nothing of our transfers while it gossips is banned as before (-4, -16, rested, -64). */
    @Test
    void aHolderSendingNothingOfItsTransfersWhileItGossipsIsStillBanned() {
        Peer rogue = holder(0);
        Peer crawling = holder(CRAWL_PER_SECOND);
        take(rogue.announces(core, now, GossipDecliningPeerTest.commits(3_000, 4)));
        take(crawling.announces(core, now, GossipDecliningPeerTest.commits(4_000, 4)));

        long start = now;
        while (!core.isBanned(rogue.id, now) && now - start < 20 * stallMs) {
            run(1, rogue, crawling);
        }

        assertThat(core.isBanned(rogue.id, now)).isTrue();
        assertThat(now - start).isLessThan(2 * Declines.REST_MS + 3 * stallMs);
        assertThat(core.isBanned(crawling.id, now)).isFalse();
        assertThat(core.score(crawling.id)).isZero();
    }

    /** A range of another holder's fetch that crawled: told as slow by its connection's rule, no offence. */
    @Test
    void aRangeThatCrawledCostsItsHolderNothing() {
        Peer holder = holder(CRAWL_PER_SECOND);
        for (int i = 0; i < 6; i++) {
            now += stallMs;
            take(core.onHolderFault(holder.id, Peer.commit(5_000 + i), FetchFailure.SLOW, now - stallMs, now));
        }

        assertThat(core.score(holder.id)).isZero();
        assertThat(core.isBanned(holder.id, now)).isFalse();
    }
}
