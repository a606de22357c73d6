package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.Unavailable;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The findings against the peer layer, each driven on virtual time: honest peers are never penalised, liars are. */
class GossipFairnessTest {
    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
            config, new Random(1), SignatureCheck.envelopes());
    long now = 10_000_000;

    Peer connected() {
        return Peer.connectedTo(core, now);
    }

    /**
     * Serves every fetch the core hands out like an honest, busy peer: each transfer takes eight
     * seconds (close to the ten-second stall limit) and reports steady progress, one at a time per
     * slot. Returns how many commits arrived.
     */
    int serveHonestly(List<Effect> first, int expected) {
        Map<Fetch, Long> running = new HashMap<>();
        List<Effect> pending = new ArrayList<>(first);
        int fetched = 0;
        for (int second = 0; second < 3 * expected * 8 && fetched < expected; second++) {
            for (Fetch f : only(pending, Fetch.class)) {
                running.put(f, now);
            }
            assertThat(only(pending, CancelFetch.class)).as("an honest transfer is never given up").isEmpty();
            assertThat(running.size()).isLessThanOrEqualTo(GossipCore.MAX_CONCURRENT_FETCHES);
            pending = new ArrayList<>();
            now += 1000;
            for (Map.Entry<Fetch, Long> e : new ArrayList<>(running.entrySet())) {
                Fetch f = e.getKey();
                long elapsed = now - e.getValue();
                if (elapsed >= 8_000) {
                    running.remove(f);
                    fetched++;
                    pending.addAll(core.onFetched(f.from(), f.commit(), 8 * StallFloor.MIN_PROGRESS_BYTES, now));
                } else {
                    core.onFetchProgress(f.from(), f.commit(), elapsed / 1000 * StallFloor.MIN_PROGRESS_BYTES, now);
                }
            }
            pending.addAll(core.onTick(now));
        }
        return fetched;
    }

    @Test
    void anHonestBulkAnnouncerIsNeverTakenForAStaller() {
        Peer bulk = connected();
        String[] commits = new String[300];
        for (int i = 0; i < commits.length; i++) {
            commits[i] = Peer.commit(1000 + i);
        }
        List<Effect> first = core.onMessage(bulk.id, Peer.announce(bulk.inventory(now, commits)), now);

        // Hundreds of commits queue behind each other; only the per-peer share of slots is handed out at once.
        assertThat(only(first, Fetch.class)).hasSize(FetchSlots.MAX_ACTIVE_PER_PEER);
        assertThat(serveHonestly(first, commits.length)).isEqualTo(commits.length);
        assertThat(core.score(bulk.id)).isZero();
        assertThat(core.isBanned(bulk.id, now)).isFalse();
    }

    @Test
    void aLateJoinerCatchingUpOnABacklogPenalisesNobody() {
        List<Peer> neighbours = List.of(connected(), connected(), connected());
        List<Effect> first = new ArrayList<>();
        for (Peer p : neighbours) {
            // each neighbour tells the newcomer of the same backlog as the link opens
            String[] backlog = new String[120];
            for (int i = 0; i < backlog.length; i++) {
                backlog[i] = Peer.commit(5000 + i);
            }
            first.addAll(core.onMessage(p.id, Peer.announce(p.inventory(now, backlog)), now));
        }
        assertThat(only(first, Fetch.class)).hasSize(GossipCore.MAX_CONCURRENT_FETCHES);
        assertThat(serveHonestly(first, 120)).isEqualTo(120);
        for (Peer p : neighbours) {
            assertThat(core.score(p.id)).isZero();
        }
        assertThat(core.stats().fetchesCompleted()).isEqualTo(120); // one transfer per commit, not one per announcer
    }

    @Test
    void theWorkLoopsFetchNeverAsksABannedPeerAndGivesUpWhenNobodyIsLeft() {
        Peer liar = connected();
        Peer honest = connected();
        for (int i = 0; i < 4; i++) {
            core.onMessage(liar.id, Peer.announce(Peer.tampered(liar.inventory(now, Peer.commit(i)))), now);
        }
        assertThat(core.isBanned(liar.id, now)).isTrue();

        String commit = Peer.commit(77);
        List<Effect> wanted = core.want(commit, List.of(liar.id, honest.id), now);
        assertThat(only(wanted, Fetch.class)).containsExactly(new Fetch(honest.id, commit));
        assertThat(core.onFetched(honest.id, commit, 10, now + 100)).noneMatch(e -> e instanceof Unavailable);
        assertThat(core.holds(commit)).isTrue();

        List<Effect> onlyBanned = core.want(Peer.commit(78), List.of(liar.id), now);
        assertThat(only(onlyBanned, Fetch.class)).isEmpty();
        assertThat(only(onlyBanned, Unavailable.class)).extracting(Unavailable::commit).containsExactly(Peer.commit(78));
    }

    @Test
    void aTricklingHolderOnTheWorkPathIsLeftWithinTheStallRule() {
        Peer trickler = connected();
        Peer good = connected();
        String commit = Peer.commit(90);
        assertThat(only(core.want(commit, List.of(trickler.id, good.id), now), Fetch.class))
                .containsExactly(new Fetch(trickler.id, commit));
        long stall = config.fetchStall().toMillis();
        for (long t = 1_000; t < stall; t += 1_000) {
            core.onFetchProgress(trickler.id, commit, t, now + t); // a kilobyte a second
        }
        List<Effect> stalled = core.onTick(now + stall);
        assertThat(stalled).contains(new CancelFetch(trickler.id, commit), new Fetch(good.id, commit));
    }

    @Test
    void offencesSpreadOverMinutesStillBanAtTheDocumentedThreshold() {
        Peer forger = connected();
        for (int i = 0; i < 3; i++) {
            core.onMessage(forger.id, Peer.announce(Peer.tampered(forger.inventory(now, Peer.commit(i)))), now);
            now += 90_000; // a minute and a half between forgeries: no decay in between
            core.onTick(now);
        }
        assertThat(core.score(forger.id)).isEqualTo(-24.0);
        assertThat(core.isBanned(forger.id, now)).isFalse();
        core.onMessage(forger.id, Peer.announce(Peer.tampered(forger.inventory(now, Peer.commit(3)))), now);
        assertThat(core.isBanned(forger.id, now)).as("banned at the fourth forgery, -32").isTrue();
    }

    @Test
    void aQuietPeerRecoversOnlyAfterItsMemoryPeriod() {
        Peer peer = connected();
        core.onFetchFailed(peer.id, Peer.commit(1), FetchFailure.WRONG_BUNDLE, now); // not outstanding: no effect
        core.onViolation(peer.id, Violation.MALFORMED_FRAME, now);
        assertThat(core.score(peer.id)).isEqualTo(-8.0);
        now += PeerScores.MEMORY_MS;
        core.onTick(now);
        assertThat(core.score(peer.id)).isEqualTo(-8.0);
        now += PeerScores.HALF_LIFE_MS;
        core.onTick(now);
        assertThat(core.score(peer.id)).isCloseTo(-4.0, org.assertj.core.data.Offset.offset(0.01));
    }
}
