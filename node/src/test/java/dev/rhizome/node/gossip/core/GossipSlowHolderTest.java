package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.CancelFetch;
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
 * Holders that send just above the stall floor (64 KiB per 10 s) held a fetch slot for a whole
 * bundle (hours for a large one), two slots each, so two of them held all four. Slow is no offence
 * (an honest uplink may be slow), so it costs no score: a slow transfer moves to a faster holder of
 * the same commit, and slow transfers give up slots to fetches a faster holder waits to serve. On
 * virtual time, through the core.
 */
class GossipSlowHolderTest {
    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
            config, new Random(1), SignatureCheck.envelopes(), Wants.everything());
    long now = 10_000_000;

    {
        core.start(List.of(), now);
    }
    /** Just above the stall floor: 70 KiB per 10 s. */
    static final long TRICKLE_PER_SECOND = 7 * 1024;
    static final long HONEST_PER_SECOND = 1024 * 1024;

    /** Running transfers: when each started and the bytes it sends a second. */
    final Map<Fetch, long[]> running = new LinkedHashMap<>();
    final List<Fetch> started = new ArrayList<>();
    final List<CancelFetch> cancelled = new ArrayList<>();
    final Map<PublicId, Long> ratePerSecond = new HashMap<>();

    void take(List<Effect> effects) {
        for (Effect e : effects) {
            if (e instanceof Fetch f) {
                running.put(f, new long[] {now, 0});
                started.add(f);
            } else if (e instanceof CancelFetch c) {
                running.keySet().removeIf(f -> f.from().equals(c.from()) && f.commit().equals(c.commit()));
                cancelled.add(c);
            }
        }
    }

    /** Runs {@code seconds} of transfers: each holder sends at its rate, no bundle finishes. */
    void run(int seconds) {
        for (int s = 0; s < seconds; s++) {
            now += 1_000;
            List<Effect> effects = new ArrayList<>();
            for (Map.Entry<Fetch, long[]> e : new ArrayList<>(running.entrySet())) {
                long[] state = e.getValue();
                state[1] += ratePerSecond.get(e.getKey().from());
                effects.addAll(core.onFetchProgress(e.getKey().from(), e.getKey().commit(), state[1], now));
            }
            take(effects);
            take(core.onTick(now));
        }
    }

    Peer holder(long bytesPerSecond) {
        Peer peer = Peer.connectedTo(core, now);
        ratePerSecond.put(peer.id, bytesPerSecond);
        return peer;
    }

    long runningFrom(Peer peer) {
        return running.keySet().stream().filter(f -> f.from().equals(peer.id)).count();
    }

    @Test
    void twoHoldersTricklingJustAboveTheFloorCannotHoldEveryFetchSlot() {
        Peer slowA = holder(TRICKLE_PER_SECOND);
        Peer slowB = holder(TRICKLE_PER_SECOND);
        Peer honest = holder(HONEST_PER_SECOND);
        take(slowA.announces(core, now, GossipDecliningPeerTest.commits(1_000, 4)));
        take(slowB.announces(core, now, GossipDecliningPeerTest.commits(2_000, 4)));
        take(honest.announces(core, now, GossipDecliningPeerTest.commits(3_000, 4)));
        assertThat(runningFrom(slowA) + runningFrom(slowB)).isEqualTo(FetchSlots.MAX_ACTIVE);
        assertThat(runningFrom(honest)).isZero();

        run(60);

        // The slow ones keep a slot each (they are still served, no faster holder has their commits).
        assertThat(runningFrom(honest)).isEqualTo(FetchSlots.MAX_ACTIVE_PER_PEER);
        assertThat(runningFrom(slowA)).isEqualTo(1);
        assertThat(runningFrom(slowB)).isEqualTo(1);
        assertThat(core.score(slowA.id)).isZero();
        assertThat(core.score(slowB.id)).isZero();
        assertThat(core.score(honest.id)).isZero();
    }

    @Test
    void onceAFastHolderDeliveredHoldersWellUnderItsRateAreSlowTooThoughAboveTheFloor() {
        Peer honest = holder(HONEST_PER_SECOND);
        String first = Peer.commit(11_000);
        take(honest.announces(core, now, first));
        now += 2_000;
        take(core.onFetched(honest.id, first, 20L * 1024 * 1024, now)); // 10 MiB/s
        running.clear();
        // 200 KiB/s: twice the absolute slow rate, a fiftieth of what this node was served.
        Peer moderateA = holder(200 * 1024);
        Peer moderateB = holder(200 * 1024);
        take(moderateA.announces(core, now, GossipDecliningPeerTest.commits(12_000, 4)));
        take(moderateB.announces(core, now, GossipDecliningPeerTest.commits(13_000, 4)));
        take(honest.announces(core, now, GossipDecliningPeerTest.commits(14_000, 2)));
        assertThat(runningFrom(honest)).isZero();

        run(45);

        assertThat(runningFrom(honest)).isEqualTo(FetchSlots.MAX_ACTIVE_PER_PEER);
        assertThat(core.score(moderateA.id)).isZero();
        assertThat(core.score(moderateB.id)).isZero();
    }

    @Test
    void aSlowTransferMovesToAFasterHolderOfTheSameCommitAtNoCostToTheSlowOne() {
        Peer slow = holder(TRICKLE_PER_SECOND);
        Peer fast = holder(HONEST_PER_SECOND);
        String commit = Peer.commit(4_000);
        take(slow.announces(core, now, commit));
        take(fast.announces(core, now, commit));
        assertThat(started).singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(slow.id));

        run(40);

        assertThat(cancelled).singleElement().satisfies(c -> assertThat(c.from()).isEqualTo(slow.id));
        assertThat(running.keySet()).singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(fast.id));
        assertThat(core.score(slow.id)).isZero();
    }

    @Test
    void aSlowTransferTheWorkNeedsKeepsItsSlotAgainstGossipsFetches() {
        Peer slowA = holder(TRICKLE_PER_SECOND);
        Peer slowB = holder(TRICKLE_PER_SECOND);
        Peer honest = holder(HONEST_PER_SECOND);
        for (String c : GossipDecliningPeerTest.commits(8_000, 2)) {
            take(core.want(c, List.of(slowA.id), now));
        }
        for (String c : GossipDecliningPeerTest.commits(9_000, 2)) {
            take(core.want(c, List.of(slowB.id), now));
        }
        take(honest.announces(core, now, GossipDecliningPeerTest.commits(10_000, 2)));

        run(60);

        assertThat(cancelled).isEmpty();
        assertThat(runningFrom(honest)).isZero();
        assertThat(core.score(slowA.id)).isZero();
    }

    @Test
    void aNodeWhoseEveryHolderIsSlowKeepsItsTransfersAndBlamesNobody() {
        Peer slowA = holder(TRICKLE_PER_SECOND);
        Peer slowB = holder(TRICKLE_PER_SECOND);
        take(slowA.announces(core, now, GossipDecliningPeerTest.commits(5_000, 2)));
        take(slowB.announces(core, now, GossipDecliningPeerTest.commits(6_000, 2)));

        run(300);

        assertThat(cancelled).isEmpty();
        assertThat(running).hasSize(FetchSlots.MAX_ACTIVE);
        assertThat(core.score(slowA.id)).isZero();
        assertThat(core.score(slowB.id)).isZero();
    }

    @Test
    void aTransferIsNotJudgedForTheTimeThisNodeItselfWasNotRunning() {
        Peer holder = holder(0);
        String commit = Peer.commit(7_000);
        take(holder.announces(core, now, commit));
        assertThat(started).hasSize(1);
        long stall = config.fetchStall().toMillis();
        // Silent for 8 s, then this node learns it was starved for the last 5 of them.
        now += 8_000;
        take(core.onTick(now));
        core.onStarved(5_000, now);
        now += stall - 8_000 + 1_000;
        take(core.onTick(now));
        assertThat(cancelled).isEmpty();
        // Its stall window, less the starved time, runs out later: judged then as ever.
        now += 5_000;
        take(core.onTick(now));
        assertThat(cancelled).singleElement();
        assertThat(core.score(holder.id)).isLessThan(0);
    }

    @Test
    void aStallTheTransferItselfReportsRightAfterThisNodeWasStarvedCostsTheHolderNothing() {
        Peer holder = holder(0);
        String commit = Peer.commit(8_000);
        take(holder.announces(core, now, commit));
        now += 2_000;
        core.onStarved(12_000, now);
        Peer other = holder(0);
        other.announces(core, now, commit);
        core.onHolderFault(other.id, commit, FetchFailure.STALLED, now);
        take(core.onFetchFailed(holder.id, commit, FetchFailure.STALLED, now));
        assertThat(core.score(holder.id)).isZero();
        assertThat(core.score(other.id)).isZero();
    }
}
