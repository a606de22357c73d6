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
 * A rogue that links under one key, announces a huge inventory (5,000 made-up commits), drops its
 * link, and links again a second later, for five minutes of the core's time (300 links): each of
 * our fetches from it ends with its link (a lost connection, free, as a real fetch to a gone
 * address does). What the node keeps stays bounded (wants, seen ids, scores, the peer table),
 * the rogue holds at most its own 2 fetch slots at any moment, an honest holder's commit announced
 * in the middle of the churn is asked of the honest holder at once and completes, and the honest
 * holder is never charged. On virtual time, through the core.
 */
class GossipChurnTest {
    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
            config, new Random(3), SignatureCheck.envelopes(), Wants.everything());
    long now = 20_000_000;
    final RunningFetches running = new RunningFetches();

    {
        core.start(List.of(), now);
    }

    @Test
    void aRogueRelinkingEverySecondWithAHugeInventoryKeepsTheNodeBoundedAndTheHonestCommitArrives() {
        Peer honest = Peer.connectedTo(core, now);
        Peer rogue = new Peer();
        String[][] inventories = new String[5][];
        for (int i = 0; i < inventories.length; i++) {
            inventories[i] = GossipDecliningPeerTest.commits(100_000 + i * config.maxCommitsPerInventory(),
                    config.maxCommitsPerInventory());
        }
        String honestCommit = Peer.commit(7);
        boolean honestAnnounced = false;
        long honestAskedAt = -1;
        long honestAnnouncedAt = -1;
        int mostRogueSlots = 0;
        for (int second = 0; second < 300; second++) {
            running.take(core.onConnected(rogue.id, rogue.hello(now), false, now));
            for (String[] commits : inventories) {
                running.take(rogue.announces(core, now, commits));
            }
            mostRogueSlots = Math.max(mostRogueSlots, (int) running.stream().filter(f -> f.from().equals(rogue.id)).count());
            if (second == 150 && !honestAnnounced) {
                running.take(honest.announces(core, now, honestCommit));
                honestAnnounced = true;
                honestAnnouncedAt = now;
            }
            if (honestAskedAt < 0 && running.stream().anyMatch(f -> f.from().equals(honest.id) && f.commit().equals(honestCommit))) {
                honestAskedAt = now;
                running.take(core.onFetched(honest.id, honestCommit, 1_000, now));
                running.removeIf(f -> f.from().equals(honest.id));
            }
            now += 500;
            running.take(core.onTick(now));
            // The rogue drops its link; each fetch from it ends with it.
            running.take(core.onDisconnected(rogue.id, now));
            for (Fetch f : new ArrayList<>(running)) {
                if (f.from().equals(rogue.id)) {
                    running.remove(f);
                    running.take(core.onFetchFailed(rogue.id, f.commit(), FetchFailure.CONNECTION_LOST, now));
                }
            }
            now += 500;
            running.take(core.onTick(now));

            GossipStats stats = core.stats();
            assertThat(stats.wanted()).isLessThanOrEqualTo(Math.max(config.maxCommitsPerInventory(), config.maxSeen() / 10));
            assertThat(stats.seenCacheSize()).isLessThanOrEqualTo(config.maxSeen());
            assertThat(stats.peerTableSize()).isLessThanOrEqualTo(config.maxKnownPeers());
            assertThat(stats.scoresTracked()).isLessThanOrEqualTo(4 * config.maxKnownPeers());
        }

        assertThat(honestAskedAt).as("the honest commit was asked of its holder").isGreaterThanOrEqualTo(0);
        assertThat(honestAskedAt - honestAnnouncedAt).as("asked within a second of its announcement").isLessThanOrEqualTo(1_000);
        assertThat(core.stats().fetchesCompleted()).isEqualTo(1);
        assertThat(mostRogueSlots).isLessThanOrEqualTo(FetchSlots.MAX_ACTIVE_PER_PEER);
        assertThat(core.score(honest.id)).isZero();
        assertThat(core.isBanned(honest.id, now)).isFalse();
    }
}
