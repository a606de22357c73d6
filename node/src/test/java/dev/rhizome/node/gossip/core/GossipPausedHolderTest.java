package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A holder that pauses (a laptop lid, a GC) with several of our transfers running stalls them all
 * in the same stall window. It was charged a stall per transfer, escalating as stalls in a row (-4,
 * then -16 for one pause), so its next stall before a delivery (-64) banned it. One silence is one
 * stall; a rogue that never serves is still banned within a few. On virtual time, through the core.
 */
class GossipPausedHolderTest {
    static final long HONEST_PER_SECOND = 1024 * 1024;
    /** A message of a holder's own on its link: an ask for one peer record, as every node's keepalive is. */
    static final Gossip CHAT = Gossip.newBuilder().setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(1)).build();

    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
            config, new Random(1), SignatureCheck.envelopes(), Wants.everything());
    final long stallMs = config.fetchStall().toMillis();
    long now = 10_000_000;
    int nextCommit = 1_000;

    {
        core.start(List.of(), now);
    }

    /** Running transfers and the bytes each has sent. */
    final Map<Fetch, long[]> running = new LinkedHashMap<>();
    boolean paused;

    void take(List<Effect> effects) {
        for (Effect e : effects) {
            if (e instanceof Fetch f) {
                running.put(f, new long[] {0});
            } else if (e instanceof CancelFetch c) {
                running.keySet().removeIf(f -> f.from().equals(c.from()) && f.commit().equals(c.commit()));
            }
        }
    }

    /** {@code seconds} of the holder sending at 1 MiB/s to each transfer (nothing while paused), ticking the core each second. */
    void run(long seconds) {
        for (long s = 0; s < seconds; s++) {
            now += 1_000;
            if (!paused) {
                for (Map.Entry<Fetch, long[]> e : new ArrayList<>(running.entrySet())) {
                    e.getValue()[0] += HONEST_PER_SECOND;
                    take(core.onFetchProgress(e.getKey().from(), e.getKey().commit(), e.getValue()[0], now));
                }
            }
            take(core.onTick(now));
        }
    }

    /** The holder announces {@code n} fresh commits; our fetches of them start (as many as its slots allow). */
    void announce(Peer holder, int n) {
        take(holder.announces(core, now, GossipDecliningPeerTest.commits(nextCommit, n)));
        nextCommit += n;
    }

    /** The holder pauses for one stall window (its transfers stall), then resumes. */
    void pauseOneStallWindow() {
        paused = true;
        run(stallMs / 1_000 + 1);
        paused = false;
    }

    /** The holder sends each running transfer whole. */
    void deliverAll() {
        for (Map.Entry<Fetch, long[]> e : new ArrayList<>(running.entrySet())) {
            running.remove(e.getKey());
            take(core.onFetched(e.getKey().from(), e.getKey().commit(), e.getValue()[0] + HONEST_PER_SECOND, now));
        }
    }

    @ParameterizedTest(name = "{0} transfers")
    @ValueSource(ints = {1, 2, 4})
    void anHonestHolderPausedOneStallWindowIsChargedOneStallAndSurvivesASecondPause(int transfers) {
        Peer holder = Peer.connectedTo(core, now);
        announce(holder, transfers);
        assertThat(running).hasSize(Math.min(transfers, FetchSlots.MAX_ACTIVE_PER_PEER));
        run(5);

        pauseOneStallWindow();

        // Every transfer running when it paused stalled, and all of them were one silence: one stall.
        assertThat(core.stats().fetchesFailed()).isEqualTo(Math.min(transfers, FetchSlots.MAX_ACTIVE_PER_PEER));
        assertThat(core.score(holder.id)).isEqualTo(Penalty.STALLED.weight);

        run(5); // resumed: the stalled fetches are asked again, and the rest started
        deliverAll();
        announce(holder, transfers);
        run(5);
        pauseOneStallWindow();

        // After a delivery, the next pause starts a new streak: one more stall, not a ban.
        assertThat(core.score(holder.id)).isEqualTo(2 * Penalty.STALLED.weight);
        assertThat(core.isBanned(holder.id, now)).isFalse();
        assertThat(core.score(holder.id)).isGreaterThan(config.disconnectScore());
    }

    @Test
    void stallsReportedByTheTransferForOnePauseAreOneStallToo() {
        Peer holder = Peer.connectedTo(core, now);
        announce(holder, 2);
        run(5);
        paused = true;
        run(stallMs / 1_000 - 2); // the transfers' own progress rule judges first
        for (Fetch f : new ArrayList<>(running.keySet())) {
            running.remove(f);
            take(core.onFetchFailed(f.from(), f.commit(), FetchFailure.STALLED, now));
            now += 100;
        }

        assertThat(core.score(holder.id)).isEqualTo(Penalty.STALLED.weight);
    }

    /**
     * A rogue that never sends a byte: -4 for its first silence (one pause, however many transfers),
     * -16 when the retries asked then stall a window later; a silence that outlived a retry rests it
     * (asked nothing, so it holds none of our slots), and its next stall once asked again bans it
     * (-64). Round 18 charged every transfer of that second window in the row and banned it there, an
     * honest holder silent as long with 2 of our transfers too
     * ({@link #anHonestHolderSilentThroughTwoStallWindowsWithTwoOfOurTransfersRestsAndIsNotBanned}).
     * The ban needs evidence of malice: this rogue keeps its link busy (its own gossip every 10 s)
     * while it serves us nothing; one silent on everything is {@link #aHolderStillSilentOnEverythingAfterItsRestIsDroppedAndRestedNotBanned}.
     */
    @Test
    void aRogueThatNeverSendsAByteRestsAfterItsSecondSilentWindowAndIsBannedAtItsNextStall() {
        Peer rogue = Peer.connectedTo(core, now);
        announce(rogue, 4);
        paused = true; // for good
        long start = now;
        List<Double> charged = new ArrayList<>();
        long restedAt = -1;
        while (!core.isBanned(rogue.id, now) && now - start < 20 * stallMs) {
            double before = core.score(rogue.id);
            if ((now - start) % 10_000 == 5_000) {
                take(core.onMessage(rogue.id, CHAT, now)); // alive on its link, silent on our transfers
            }
            run(1);
            if (core.score(rogue.id) != before && !core.isBanned(rogue.id, now)) {
                charged.add(core.score(rogue.id));
                if (charged.size() == 2) {
                    restedAt = now;
                }
            }
            if (restedAt >= 0 && now > restedAt + stallMs && now < restedAt + Declines.REST_MS) {
                // Resting: its last transfers of that silence stalled free, and nothing more was asked of it.
                assertThat(running).isEmpty();
                assertThat(core.score(rogue.id)).isEqualTo(-20.0);
            }
        }

        assertThat(core.isBanned(rogue.id, now)).isTrue();
        assertThat(charged).containsExactly(-4.0, -20.0);
        assertThat(now - restedAt).isBetween(Declines.REST_MS, Declines.REST_MS + stallMs + 2_000);
    }

    /**
     * The other side of the rule above: an honest holder paused through two stall windows (its
     * retries asked after the first charge stalled too) with 2 of our transfers pays -4 and -16, rests,
     * and once its pause is over serves both; it was banned at its second window (-64 for the other
     * transfer of the same silence).
     */
    @Test
    void anHonestHolderSilentThroughTwoStallWindowsWithTwoOfOurTransfersRestsAndIsNotBanned() {
        Peer holder = Peer.connectedTo(core, now);
        announce(holder, 2);
        run(5);
        assertThat(running).hasSize(2);
        paused = true;
        long pausedAt = now;
        while (core.score(holder.id) > -20.0 && now - pausedAt < 5 * stallMs) {
            run(1);
        }
        assertThat(core.score(holder.id)).isEqualTo(-20.0);
        run(3); // its other transfer of that silence stalls too: the same silence, free
        paused = false; // the pause ends during the rest

        assertThat(core.score(holder.id)).isEqualTo(-20.0);
        run(Declines.REST_MS / 1_000 + 5); // rested, then asked again: it serves
        assertThat(running).hasSize(2);
        deliverAll();

        assertThat(core.isBanned(holder.id, now)).isFalse();
        assertThat(core.score(holder.id)).isEqualTo(-20.0);
        assertThat(core.stats().fetchesCompleted()).isEqualTo(2);
        // It served: its streak is over, and a later pause is one stall again (not -64).
        announce(holder, 2);
        run(5);
        pauseOneStallWindow();
        assertThat(core.score(holder.id)).isEqualTo(-24.0);
        assertThat(core.isBanned(holder.id, now)).isFalse();
    }

    /**
     * The other side of the evidence rule: a holder still silent when its rest ends, on its link as
     * well as on our transfers (paused about a minute, or gone), is not banned as the chatting rogue
     * above is: its next stall drops its link and rests it, its score as it was (-20).
     */
    @Test
    void aHolderStillSilentOnEverythingAfterItsRestIsDroppedAndRestedNotBanned() {
        Peer holder = Peer.connectedTo(core, now);
        announce(holder, 2);
        run(5);
        paused = true; // silent on everything, for good
        long start = now;
        List<Effect.Disconnect> dropped = new ArrayList<>();
        while (dropped.isEmpty() && now - start < 20 * stallMs) {
            now += 1_000;
            for (Effect e : core.onTick(now)) {
                if (e instanceof Effect.Disconnect d && d.peer().equals(holder.id)) {
                    dropped.add(d);
                }
                take(List.of(e));
            }
        }

        assertThat(dropped).as("its link dropped").hasSize(1);
        assertThat(dropped.get(0).reason()).contains("silent on its link");
        assertThat(now - start).as("after its rest").isGreaterThan(Declines.REST_MS);
        assertThat(core.isBanned(holder.id, now)).isFalse();
        assertThat(core.score(holder.id)).isEqualTo(-20.0);
    }

    /**
     * Rested for its silence, a holder is not asked for a range of another holder's fetch either:
     * still silent, it stalled that range (a new silence) and was banned during its rest.
     */
    @Test
    void aHolderRestingForItsSilenceIsNotAskedForRangesOfAnotherHoldersFetch() {
        Peer holder = Peer.connectedTo(core, now);
        Peer other = Peer.connectedTo(core, now);
        announce(holder, 2);
        run(5);
        paused = true;
        long pausedAt = now;
        while (core.score(holder.id) > -20.0 && now - pausedAt < 5 * stallMs) {
            run(1);
        }
        assertThat(core.score(holder.id)).isEqualTo(-20.0);

        String commit = GossipDecliningPeerTest.commits(9_000, 1)[0];
        List<Effect> effects = new ArrayList<>(holder.announces(core, now, commit));
        effects.addAll(other.announces(core, now, commit));

        assertThat(effects).filteredOn(e -> e instanceof Fetch).singleElement().satisfies(e -> {
            Fetch f = (Fetch) e;
            assertThat(f.from()).isEqualTo(other.id);
            assertThat(f.addresses()).noneMatch(h -> h.info().getNode().equals(holder.id.toByteString()));
        });
        take(effects);
        run(Declines.REST_MS / 1_000 - 5); // the rest of its rest, still silent: nothing asked of it, nothing charged
        assertThat(core.score(holder.id)).isEqualTo(-20.0);
    }

    /**
     * Pieces of our bundles fetched from other peers, asked of this holder too (one range each, at
     * most 4 fetches in pieces at once): a pause stalls every range, each judged by its own
     * connection's rule and told as a holder fault. Each was charged a stall in a row (-4, -16, -64:
     * banned by one pause of up to three ranges); now one silence is one stall, as for whole fetches.
     */
    @Test
    void oneHolderPausedWithRangesOfSeveralOfOurBundlesIsChargedOneStall() {
        Peer holder = Peer.connectedTo(core, now);
        String[] bundles = GossipDecliningPeerTest.commits(5_000, 4);
        run(5);
        long pausedAt = now;
        run(stallMs / 1_000);
        for (String commit : bundles) { // each range's rule judges it within a moment of the others
            take(core.onHolderFault(holder.id, commit, FetchFailure.STALLED, pausedAt, now));
            now += 300;
        }

        assertThat(core.score(holder.id)).isEqualTo(Penalty.STALLED.weight);
        assertThat(core.isBanned(holder.id, now)).isFalse();
    }

    @Test
    void aRangeStalledInThePauseThatStalledTheHoldersOwnTransferCostsNothingMore() {
        Peer holder = Peer.connectedTo(core, now);
        announce(holder, 1);
        run(5);
        long pausedAt = now;
        pauseOneStallWindow(); // its own transfer stalls: -4
        assertThat(core.score(holder.id)).isEqualTo(Penalty.STALLED.weight);

        // A range of another bundle told a moment later, told without its silence's start (a
        // protocol's older caller): judged over one stall period, which overlaps the charged one.
        take(core.onHolderFault(holder.id, GossipDecliningPeerTest.commits(6_000, 1)[0], FetchFailure.STALLED, now));
        take(core.onHolderFault(holder.id, GossipDecliningPeerTest.commits(6_001, 1)[0], FetchFailure.STALLED, pausedAt, now));

        assertThat(core.score(holder.id)).isEqualTo(Penalty.STALLED.weight);
    }

    @Test
    void aRangeAskedAfterTheChargeThatStallsTooIsANewSilence() {
        Peer holder = Peer.connectedTo(core, now);
        String first = GossipDecliningPeerTest.commits(7_000, 1)[0];
        String second = GossipDecliningPeerTest.commits(7_001, 1)[0];
        long asked = now;
        now += stallMs;
        take(core.onHolderFault(holder.id, first, FetchFailure.STALLED, asked, now));
        long askedAgain = now + 100; // asked of it after the charge: a rogue's silence goes on
        now += stallMs + 200;
        take(core.onHolderFault(holder.id, second, FetchFailure.STALLED, askedAgain, now));

        assertThat(core.score(holder.id)).isEqualTo(Penalty.STALLED.weight * (1 + 4));
    }
}
