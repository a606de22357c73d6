package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Rogue peers that waste an honest node's fetch attempts and want table at no cost to themselves:
 * declining every ask (BUSY, INTERNAL and UNSUPPORTED answers are free), announcing thousands of
 * commits they do not hold, or being asked for a commit they gave up while their link was down. And
 * the honest counterparts, which must never lose score. On virtual time, through the core.
 */
class GossipDecliningPeerTest {
    final GossipConfig config = GossipConfig.defaults();
    long now = 90_000_000;

    GossipCore core() {
        GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.1").setPort(7000).build(),
                config, new Random(5), SignatureCheck.envelopes(), Wants.everything());
        core.start(List.of(), now);
        return core;
    }

    static String[] commits(int from, int count) {
        String[] out = new String[count];
        for (int i = 0; i < count; i++) {
            out[i] = Peer.commit(from + i);
        }
        return out;
    }

    /**
     * Answers every Fetch in {@code effects} (and in what the answers lead to) with {@code answer}'s
     * outcome for that fetch: null leaves it outstanding. Returns the fetches asked, in order.
     */
    List<Fetch> answer(GossipCore core, List<Effect> effects, Function<Fetch, FetchFailure> answer) {
        List<Fetch> asked = new ArrayList<>();
        ArrayDeque<Effect> todo = new ArrayDeque<>(effects);
        while (!todo.isEmpty()) {
            if (todo.poll() instanceof Fetch f) {
                asked.add(f);
                FetchFailure failure = answer.apply(f);
                if (failure != null) {
                    todo.addAll(core.onFetchFailed(f.from(), f.commit(), failure, now));
                }
            }
        }
        return asked;
    }

    @Test
    void aPeerThatDeclinesEveryAskForCommitsItAnnouncedRestsInsteadOfTakingThreeAttemptsACommit() {
        GossipCore core = core();
        Peer rogue = Peer.connectedTo(core, now);
        List<Fetch> asked = answer(core, rogue.announces(core, now, commits(1_000, 200)), f -> FetchFailure.DECLINED);
        long end = now + 10 * 60_000;
        while (now < end) {
            now += 500;
            asked.addAll(answer(core, core.onTick(now), f -> FetchFailure.DECLINED));
        }
        // Three attempts a commit were 600 asks. Now 4 before the first rest, then one per rest (30 s,
        // 60 s, then 2 min each: 6 rests in 10 minutes), each with the ask already in flight on the
        // peer's second fetch slot.
        int perRound = FetchSlots.MAX_ACTIVE_PER_PEER;
        assertThat(asked).allMatch(f -> f.from().equals(rogue.id));
        assertThat(asked.size()).isBetween(Declines.STREAK, Declines.STREAK + perRound - 1 + 6 * perRound);
        assertThat(core.score(rogue.id)).isZero(); // a decline proves nothing, so it costs nothing
    }

    @Test
    void aPeerThatEndsEveryUploadWithBusyJustBeforeItsEndRestsAfterTheFirstInsteadOfAfterFour() {
        GossipCore core = core();
        Peer rogue = Peer.connectedTo(core, now);
        List<Fetch> asked = answer(core, rogue.announces(core, now, commits(3_000, 50)), f -> FetchFailure.DECLINED_LATE);
        // Its first decline came after most of a transfer's bytes: it rests at once. What is in
        // flight on its other fetch slot is the only further ask until the rest ends.
        assertThat(asked).hasSizeLessThanOrEqualTo(FetchSlots.MAX_ACTIVE_PER_PEER);
        long restEnd = now + Declines.REST_MS;
        while (now < restEnd - 500) {
            now += 500;
            asked.addAll(answer(core, core.onTick(now), f -> FetchFailure.DECLINED_LATE));
        }
        assertThat(asked).hasSizeLessThanOrEqualTo(FetchSlots.MAX_ACTIVE_PER_PEER);
        assertThat(core.score(rogue.id)).isZero(); // still a decline: never a penalty
    }

    @Test
    void anHonestHolderThatDeliversAfterALateDeclineEndsItsRest() {
        GossipCore core = core();
        Peer honest = Peer.connectedTo(core, now);
        List<Fetch> asked = answer(core, honest.announces(core, now, commits(4_000, 1)), f -> FetchFailure.DECLINED_LATE);
        assertThat(asked).hasSize(1);
        now += Declines.REST_MS + 60_000;
        List<Fetch> again = answer(core, core.onTick(now), f -> null);
        assertThat(again).extracting(Fetch::from).containsOnly(honest.id);
        core.onFetched(honest.id, again.get(0).commit(), 1_000_000, now);
        assertThat(core.score(honest.id)).isGreaterThanOrEqualTo(0);
        List<Fetch> next = answer(core, honest.announces(core, now, commits(4_100, 1)), f -> null);
        assertThat(next).extracting(Fetch::from).containsExactly(honest.id); // not resting any more
    }

    @Test
    void whileADecliningPeerRestsAnHonestHolderOfTheSameCommitIsAskedAtOnce() {
        GossipCore core = core();
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        answer(core, rogue.announces(core, now, commits(2_000, 6)), f -> FetchFailure.DECLINED);
        assertThat(core.isResting(rogue.id)).isTrue();
        // The rogue announces first, the honest peer after it: the honest one is asked, not the rogue.
        String real = Peer.commit(7);
        now += 10;
        List<Fetch> none = answer(core, rogue.announces(core, now, real), f -> null);
        assertThat(none).isEmpty();
        List<Fetch> fetches = only(honest.announces(core, now, real), Fetch.class);
        assertThat(fetches).singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(honest.id));
    }

    @Test
    void anHonestBusyHolderIsAskedAgainAfterItsRestNeverLosesScoreAndADeliveryEndsTheRest() {
        GossipCore core = core();
        Peer busy = Peer.connectedTo(core, now);
        String[] held = commits(3_000, 6);
        List<Fetch> asked = answer(core, busy.announces(core, now, held), f -> FetchFailure.DECLINED);
        // The fourth decline starts the rest; the ask already in flight on its second slot is answered too.
        assertThat(asked).hasSize(Declines.STREAK + FetchSlots.MAX_ACTIVE_PER_PEER - 1);
        assertThat(core.isResting(busy.id)).isTrue();
        // It is the only holder: its commits wait for the rest to end, they are not given up.
        List<Fetch> later = new ArrayList<>();
        while (later.isEmpty() && now < 90_000_000 + 5 * 60_000) {
            now += 500;
            later.addAll(answer(core, core.onTick(now), f -> null));
        }
        assertThat(later).isNotEmpty();
        assertThat(now - 90_000_000).isGreaterThanOrEqualTo(Declines.REST_MS);
        Fetch f = later.get(0);
        core.onFetched(f.from(), f.commit(), 1_000, now);
        assertThat(core.isResting(busy.id)).isFalse();
        assertThat(core.score(busy.id)).isGreaterThanOrEqualTo(0);
    }

    @Test
    void aCommitTheWorkNeedsThatOnlyARepeatDeclinerClaimsIsGivenUpAfterOneRestNotThree() {
        GossipCore core = core();
        Peer rogue = Peer.connectedTo(core, now);
        answer(core, rogue.announces(core, now, commits(4_000, 8)), f -> FetchFailure.DECLINED);
        long end = now + 2 * 60_000; // its first rest (30 s), a decline after it, and its second rest
        while (now < end) {
            now += 500;
            answer(core, core.onTick(now), f -> FetchFailure.DECLINED);
        }
        // The work needs a commit that only the rogue claims (its hint, and its announcement).
        String needed = Peer.commit(4_100);
        long wanted = now;
        List<Effect> effects = new ArrayList<>(core.want(needed, List.of(rogue.id), now));
        effects.addAll(rogue.announces(core, now, needed));
        List<Fetch> askedForIt = new ArrayList<>();
        List<Effect.Unavailable> told = new ArrayList<>();
        while (told.isEmpty() && now < wanted + 10 * 60_000) {
            for (Effect e : effects) {
                if (e instanceof Effect.Unavailable u && u.commit().equals(needed)) {
                    told.add(u);
                }
            }
            List<Effect> next = new ArrayList<>();
            for (Fetch f : only(effects, Fetch.class)) {
                if (f.commit().equals(needed)) {
                    askedForIt.add(f);
                }
                next.addAll(core.onFetchFailed(f.from(), f.commit(), FetchFailure.DECLINED, now));
            }
            if (next.isEmpty()) {
                now += 500;
                next = core.onTick(now);
            }
            effects = next;
        }
        // Three tries, each after a rest of two minutes, kept the work waiting some six minutes.
        assertThat(told).as("the work is told").isNotEmpty();
        assertThat(now - wanted).isLessThanOrEqualTo(Declines.MAX_REST_MS + 5_000);
        assertThat(askedForIt).hasSizeLessThanOrEqualTo(1);
        assertThat(core.score(rogue.id)).isZero();
    }

    @Test
    void aHolderThatUsedItsTriesForACommitIsNotQueuedAgainByAnnouncingItAnew() {
        GossipCore core = core();
        Peer rogue = Peer.connectedTo(core, now);
        String commit = Peer.commit(4_000);
        // Tries 1 to 3: the first at once, the others after their backoffs (the streak stays under a rest).
        List<Fetch> asked = answer(core, rogue.announces(core, now, commit), f -> FetchFailure.DECLINED);
        for (int i = 0; i < 20; i++) {
            now += 1_000;
            asked.addAll(answer(core, core.onTick(now), f -> FetchFailure.DECLINED));
        }
        assertThat(asked).hasSize(FetchPlanner.MAX_ATTEMPTS);
        // A new signed Inventory naming it again buys no fourth try.
        now += 1_000;
        asked.addAll(answer(core, rogue.announces(core, now, commit), f -> FetchFailure.DECLINED));
        for (int i = 0; i < 20; i++) {
            now += 1_000;
            asked.addAll(answer(core, core.onTick(now), f -> FetchFailure.DECLINED));
        }
        assertThat(asked).hasSize(FetchPlanner.MAX_ATTEMPTS);
    }

    @Test
    void aPeerAnnouncingMoreCommitsThanTheWantTableHoldsCannotCrowdOutAnHonestAnnouncement() {
        GossipCore core = core();
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        int tableSize = Math.max(config.maxCommitsPerInventory(), config.maxSeen() / 10);
        for (int k = 0; k * config.maxCommitsPerInventory() < tableSize + 1_000; k++) {
            now += 1;
            // Left outstanding: the rogue neither serves nor fails, its wants just sit there.
            answer(core, rogue.announces(core, now, commits(100_000 + k * config.maxCommitsPerInventory(),
                    config.maxCommitsPerInventory())), f -> null);
        }
        assertThat(core.stats().wanted()).isEqualTo(tableSize);
        String real = Peer.commit(55);
        now += 1;
        List<Effect> effects = honest.announces(core, now, real);
        assertThat(core.stats().wanted()).isEqualTo(tableSize);
        // Every fetch slot may be taken by the rogue's two and others queued; the honest commit is wanted and queued.
        assertThat(core.holdersOf(real)).contains(honest.id);
        assertThat(core.score(honest.id)).isZero();
        assertThat(effects).noneMatch(e -> e instanceof Effect.Disconnect);
    }

    @Test
    void aCommitGivenUpWhileTheLinkWasDownIsNoFalseClaimWhenAskedAfterTheNeighbourReturns() {
        GossipCore core = core();
        Peer neighbour = Peer.connectedTo(core, now);
        String commit = Peer.commit(5_000);
        List<Fetch> first = answer(core, neighbour.announces(core, now, commit), f -> null);
        assertThat(first).hasSize(1);
        // The link and the fetch drop: the neighbour went offline, where it gave the commit up among
        // more than 1,000 others (so its greeting on return does not name it).
        core.onDisconnected(neighbour.id, now);
        List<Fetch> retried = answer(core, core.onFetchFailed(neighbour.id, commit, FetchFailure.CONNECTION_LOST, now), f -> null);
        now += 1_000;
        core.onConnected(neighbour.id, neighbour.hello(now), false, now);
        for (int i = 0; i < 10 && retried.isEmpty(); i++) {
            now += 1_000;
            retried.addAll(answer(core, core.onTick(now), f -> null));
        }
        assertThat(retried).singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(neighbour.id));
        core.onFetchFailed(neighbour.id, commit, FetchFailure.NOT_FOUND, now);
        for (int i = 0; i < 30; i++) {
            now += 1_000;
            core.onTick(now);
        }
        assertThat(core.score(neighbour.id)).isZero();
    }

    @Test
    void aPeerThatRelinksToEndItsClaimsBeforeSayingNotFoundIsExcusedOnlyWithinTheWithdrawalsRation() {
        GossipCore core = core();
        Peer rogue = Peer.connectedTo(core, now);
        int lies = (int) GoneClaims.EXCUSE_BURST + 8;
        List<Fetch> outstanding = answer(core, rogue.announces(core, now, commits(7_000, lies)), f -> null);
        // Drop the link and link again: the claims of the old link lapse, and the greeting names none.
        core.onDisconnected(rogue.id, now);
        now += 1_000;
        core.onConnected(rogue.id, rogue.hello(now), false, now);
        List<Effect> effects = new ArrayList<>();
        for (Fetch f : outstanding) {
            effects.addAll(core.onFetchFailed(f.from(), f.commit(), FetchFailure.NOT_FOUND, now));
        }
        List<Fetch> asked = new ArrayList<>(outstanding);
        asked.addAll(answer(core, effects, f -> FetchFailure.NOT_FOUND));
        for (int i = 0; i < 30; i++) {
            now += 1_000;
            asked.addAll(answer(core, core.onTick(now), f -> FetchFailure.NOT_FOUND));
        }
        assertThat(asked).hasSize(lies);
        // The ration's burst excused, the rest scored false claims as on a live link.
        assertThat(core.score(rogue.id)).isLessThan(0);
    }

    @Test
    void anotherHolderOfARangedFetchThatSaysNotFoundForACommitItAnnouncedIsDoubtedAsForItsOwnFetch() {
        GossipCore core = core();
        Peer primary = Peer.connectedTo(core, now);
        Peer liar = Peer.connectedTo(core, now);
        String commit = Peer.commit(8_000);
        assertThat(answer(core, primary.announces(core, now, commit), f -> null)).hasSize(1);
        liar.announces(core, now, commit);
        core.onHolderFault(liar.id, commit, FetchFailure.NOT_FOUND, now);
        // Past the grace, before any fetch of the liar's own could stall (the primary's stalls first, at 10 s).
        for (int i = 0; i < (GoneClaims.GRACE_MS + 2_000) / 1_000; i++) {
            now += 1_000;
            core.onTick(now);
        }
        assertThat(core.score(liar.id)).isLessThan(0);
    }

    @Test
    void aClaimMadeOnTheCurrentLinkIsStillAFalseClaimWithoutAWithdrawal() {
        GossipCore core = core();
        Peer liar = Peer.connectedTo(core, now);
        String commit = Peer.commit(6_000);
        assertThat(answer(core, liar.announces(core, now, commit), f -> FetchFailure.NOT_FOUND)).hasSize(1);
        for (int i = 0; i < 30; i++) {
            now += 1_000;
            core.onTick(now);
        }
        assertThat(core.score(liar.id)).isLessThan(0);
    }
}
