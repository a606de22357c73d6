package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A rogue that sends valid gossip just under every limit for two minutes of the core's time: 45
 * signed Inventories a second (the link's bucket refills 50), each of the most commits one may
 * carry (1,000), every commit new, and "busy" to every ask (free). Nothing it does is an offence,
 * so it is never charged; what it can cost the node is bounded: the wants, the seen ids and the
 * scores stay within their bounds, none of its messages is even rate-limited, and an honest
 * holder's commit announced in the middle of it is asked within a second and completes, its
 * holder never charged. On virtual time, through the core.
 */
class GossipJustUnderTheLimitsTest {
    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
            config, new Random(5), SignatureCheck.envelopes(), Wants.everything());
    long now = 30_000_000;
    final RunningFetches running = new RunningFetches();

    {
        core.start(List.of(), now);
    }

    @Test
    void validGossipJustUnderEveryLimitForMinutesCostsABoundedShareAndTheHonestCommitArrives() {
        Peer honest = Peer.connectedTo(core, now);
        Peer rogue = Peer.connectedTo(core, now);
        int perSecond = config.announcementsPerSecond() * 9 / 10;
        int perInventory = config.maxCommitsPerInventory();
        String honestCommit = Peer.commit(9);
        long honestAnnouncedAt = -1;
        long honestAskedAt = -1;
        int next = 1_000_000;
        for (int second = 0; second < 120; second++) {
            for (int m = 0; m < perSecond; m++) {
                running.take(rogue.announces(core, now, GossipDecliningPeerTest.commits(next, perInventory)));
                next += perInventory;
                now += 1_000 / perSecond;
                // Every ask of the rogue is answered "busy" (a decline: free).
                for (Fetch f : new ArrayList<>(running)) {
                    if (f.from().equals(rogue.id)) {
                        running.remove(f);
                        running.take(core.onFetchFailed(rogue.id, f.commit(), FetchFailure.DECLINED, now));
                    }
                }
                if (honestAskedAt < 0 && running.stream().anyMatch(f -> f.from().equals(honest.id))) {
                    honestAskedAt = now;
                    running.take(core.onFetched(honest.id, honestCommit, 1_000, now));
                    running.removeIf(f -> f.from().equals(honest.id));
                }
            }
            now += 1_000 - (1_000 / perSecond) * perSecond;
            running.take(core.onTick(now));
            if (second == 60) {
                running.take(honest.announces(core, now, honestCommit));
                honestAnnouncedAt = now;
            }

            GossipStats stats = core.stats();
            assertThat(stats.wanted()).isLessThanOrEqualTo(Math.max(config.maxCommitsPerInventory(), config.maxSeen() / 10));
            assertThat(stats.seenCacheSize()).isLessThanOrEqualTo(config.maxSeen());
            assertThat(stats.scoresTracked()).isLessThanOrEqualTo(4 * config.maxKnownPeers());
        }

        assertThat(core.stats().rateLimited()).isZero();
        assertThat(core.score(rogue.id)).isZero(); // nothing it did was an offence
        assertThat(honestAskedAt).as("the honest commit was asked of its holder").isGreaterThanOrEqualTo(0);
        assertThat(honestAskedAt - honestAnnouncedAt).as("asked within a second of its announcement").isLessThanOrEqualTo(1_000);
        assertThat(core.stats().fetchesCompleted()).isEqualTo(1);
        assertThat(core.score(honest.id)).isZero();
    }
}
