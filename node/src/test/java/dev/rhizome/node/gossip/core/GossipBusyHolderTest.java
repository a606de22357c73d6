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
 * "Busy, ask another": a holder whose serving capacity is full (its bundle builders, its upload
 * slots) answers BUSY at once, with a hint of when it expects room again, instead of accepting and
 * going silent, which the stall rule read as a rogue's silence (an honest holder banned at its third
 * stall). The asker takes BUSY as no fault, asks another holder, and comes back to this one no sooner
 * than the hint, bounded; a peer BUSY to everything forever rests as a decliner does, is never banned,
 * and never holds up a bundle another holder has. On virtual time, through the core.
 */
class GossipBusyHolderTest {
    final GossipConfig config = GossipConfig.defaults();
    long now = 70_000_000;

    GossipCore core() {
        GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.7").setPort(7000).build(),
                config, new Random(21), SignatureCheck.envelopes(), Wants.everything());
        core.start(List.of(), now);
        return core;
    }

    /**
     * Answers every Fetch in {@code effects} (and what the answers lead to) with BUSY and the hint
     * {@code hintOf} gives (null leaves the fetch outstanding). Returns the fetches asked, in order.
     */
    List<Fetch> busy(GossipCore core, List<Effect> effects, Function<Fetch, Long> hintOf) {
        List<Fetch> asked = new ArrayList<>();
        ArrayDeque<Effect> todo = new ArrayDeque<>(effects);
        while (!todo.isEmpty()) {
            if (todo.poll() instanceof Fetch f) {
                asked.add(f);
                Long hint = hintOf.apply(f);
                if (hint != null) {
                    todo.addAll(core.onFetchBusy(f.from(), f.commit(), hint, now));
                }
            }
        }
        return asked;
    }

    /** Ticks every 500 ms until {@code untilMs}, answering fetches as {@link #busy} does; the fetches asked. */
    List<Fetch> runUntil(GossipCore core, long untilMs, Function<Fetch, Long> hintOf) {
        List<Fetch> asked = new ArrayList<>();
        while (now < untilMs) {
            now += 500;
            asked.addAll(busy(core, core.onTick(now), hintOf));
        }
        return asked;
    }

    /**
     * A commit only {@code busyHolder} holds, announced now, is not asked of it within the 20 s hint it
     * gave at {@code busySince}, and asked once after; the BUSY cost it nothing.
     */
    void askedOnlyAfterItsHint(GossipCore core, Peer busyHolder, String onlyThere, long busySince) {
        List<Fetch> early = new ArrayList<>(busy(core, busyHolder.announces(core, now, onlyThere), f -> null));
        early.addAll(runUntil(core, busySince + 19_500, f -> null));
        assertThat(early).as("asks of the busy holder within its hint").isEmpty();
        assertThat(runUntil(core, busySince + 21_000, f -> null)).singleElement().satisfies(f -> {
            assertThat(f.from()).isEqualTo(busyHolder.id);
            assertThat(f.commit()).isEqualTo(onlyThere);
        });
        assertThat(core.score(busyHolder.id)).isZero();
        assertThat(core.isBanned(busyHolder.id, now)).isFalse();
    }

    /** {@code peer}, connected to {@code core} already, connects to {@code other} too. */
    void alsoConnects(Peer peer, GossipCore other) {
        assertThat(other.onConnected(peer.id, peer.hello(now), false, now)).noneMatch(e -> e instanceof Effect.Disconnect);
    }

    @Test
    void aBusyHolderCostsNothingTheNextHolderIsAskedAtOnceAndTheBusyOneOnlyAfterItsHint() {
        GossipCore core = core();
        Peer full = Peer.connectedTo(core, now);
        Peer other = Peer.connectedTo(core, now);
        String shared = Peer.commit(1);
        // The full holder announced first, so it is asked first; it answers BUSY, back in 20 s.
        List<Fetch> first = busy(core, full.announces(core, now, shared), f -> null);
        assertThat(first).singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(full.id));
        only(other.announces(core, now, shared), Fetch.class); // queued behind the running fetch: nothing yet
        List<Effect> answer = core.onFetchBusy(full.id, shared, 20_000, now);
        assertThat(only(answer, Fetch.class)).singleElement().satisfies(f -> {
            assertThat(f.from()).isEqualTo(other.id);
            assertThat(f.commit()).isEqualTo(shared);
        });
        core.onFetched(other.id, shared, 1_000, now);

        // A commit only the busy holder has waits for its hint: not asked before, asked after.
        askedOnlyAfterItsHint(core, full, Peer.commit(2), now);
    }

    @Test
    void aHintIsBoundedSoAHolderAskingForAnHourIsAskedAgainWithinTheBusyWaitsBound() {
        GossipCore core = core();
        Peer full = Peer.connectedTo(core, now);
        String commit = Peer.commit(3);
        long start = now;
        busy(core, full.announces(core, now, commit), f -> 3_600_000L);
        List<Fetch> again = new ArrayList<>();
        while (again.isEmpty() && now < start + 10 * 60_000) {
            now += 500;
            again.addAll(busy(core, core.onTick(now), f -> null));
        }
        assertThat(again).singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(full.id));
        assertThat(now - start).isBetween(Declines.MAX_BUSY_WAIT_MS, Declines.MAX_BUSY_WAIT_MS + 1_000);
        core.onFetched(full.id, commit, 1_000, now); // room again: it serves
        assertThat(core.isResting(full.id)).isFalse();
        assertThat(core.score(full.id)).isZero();
    }

    @Test
    void aPeerBusyToEveryAskForeverRestsIsNeverBannedAndNeverHoldsUpABundleAnotherHolderHas() {
        GossipCore core = core();
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        long start = now;
        List<Fetch> asked = new ArrayList<>(busy(core, rogue.announces(core, now, GossipDecliningPeerTest.commits(5_000, 100)),
                f -> 2_000L));
        asked.addAll(runUntil(core, start + 60_000, f -> 2_000L));

        // Both claim a commit, the rogue first: the honest holder serves it within a few seconds.
        String real = Peer.commit(42);
        busy(core, rogue.announces(core, now, real), f -> 2_000L);
        long announced = now;
        List<Fetch> fromHonest = new ArrayList<>();
        for (Fetch f : busy(core, honest.announces(core, now, real), f -> f.from().equals(rogue.id) ? 2_000L : null)) {
            if (f.from().equals(honest.id)) {
                fromHonest.add(f);
            }
        }
        while (fromHonest.isEmpty() && now < announced + 60_000) {
            now += 500;
            for (Fetch f : busy(core, core.onTick(now), f -> f.from().equals(rogue.id) ? 2_000L : null)) {
                if (f.from().equals(honest.id)) {
                    fromHonest.add(f);
                } else {
                    asked.add(f);
                }
            }
        }
        assertThat(fromHonest).extracting(Fetch::commit).containsExactly(real);
        assertThat(now - announced).as("wait for the honest holder").isLessThanOrEqualTo(config.fetchStall().toMillis());
        core.onFetched(honest.id, real, 1_000, now);

        asked.addAll(runUntil(core, start + 10 * 60_000, f -> 2_000L));
        // Busy forever: it rests as a decliner does (4 asks, then about one per rest), at no cost.
        assertThat(asked).allMatch(f -> f.from().equals(rogue.id));
        assertThat(asked.size()).isLessThanOrEqualTo(Declines.STREAK + FetchSlots.MAX_ACTIVE_PER_PEER * 8);
        assertThat(core.score(rogue.id)).isZero();
        assertThat(core.isBanned(rogue.id, now)).isFalse();
        assertThat(core.score(honest.id)).isGreaterThanOrEqualTo(0);
    }

    @Test
    void aBusyWithoutAHintIsADeclineAsAnOldPeersBusyAlwaysWas() {
        GossipCore viaBusy = core();
        GossipCore viaDecline = core();
        Peer holder = Peer.connectedTo(viaBusy, now);
        alsoConnects(holder, viaDecline);
        Peer second = Peer.connectedTo(viaBusy, now);
        alsoConnects(second, viaDecline);
        String commit = Peer.commit(9);
        for (GossipCore core : List.of(viaBusy, viaDecline)) {
            holder.announces(core, now, commit);
            second.announces(core, now, commit);
        }
        List<Fetch> a = only(viaBusy.onFetchBusy(holder.id, commit, 0, now), Fetch.class);
        List<Fetch> b = only(viaDecline.onFetchFailed(holder.id, commit, FetchFailure.DECLINED, now), Fetch.class);
        assertThat(a).extracting(Fetch::from).containsExactly(second.id);
        assertThat(b).extracting(Fetch::from).containsExactly(second.id);
        assertThat(viaBusy.isResting(holder.id)).isEqualTo(viaDecline.isResting(holder.id)).isFalse();
    }

    /** The holders a Fetch names, by id. */
    static List<dev.rhizome.protocol.identity.PublicId> holders(Fetch f) {
        return f.addresses().stream().map(a -> dev.rhizome.protocol.identity.PublicId.of(a.info().getNode())).toList();
    }

    @Test
    void aBusyFromOneHolderOfAFetchInPiecesPassesItsHintSoItIsLeftOutUntilThen() {
        GossipCore core = core();
        Peer first = Peer.connectedTo(core, now);
        Peer full = Peer.connectedTo(core, now);
        Peer third = Peer.connectedTo(core, now);
        String a = Peer.commit(11);
        List<Fetch> started = busy(core, first.announces(core, now, a), f -> null);
        full.announces(core, now, a);
        third.announces(core, now, a);
        assertThat(started).singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(first.id));
        // The pieces' fetch asks the full holder too; it answers BUSY, back in 20 s; the fetch ends from the others.
        long busySince = now;
        assertThat(core.onHolderBusy(full.id, a, 20_000, now)).isEmpty();
        core.onFetched(first.id, a, 1_000, now);

        // A commit all three hold, the busy one announcing first, asked within the hint: it is neither
        // asked nor among the holders asked for pieces (without the hint it was asked at once).
        String b = Peer.commit(12);
        List<Fetch> next = new ArrayList<>(busy(core, full.announces(core, now, b), f -> null));
        next.addAll(busy(core, first.announces(core, now, b), f -> null));
        next.addAll(busy(core, third.announces(core, now, b), f -> null));
        next.addAll(runUntil(core, now + 1_000, f -> null));
        assertThat(next).isNotEmpty().allSatisfy(f -> {
            assertThat(f.from()).isNotEqualTo(full.id);
            assertThat(holders(f)).doesNotContain(full.id);
        });
        core.onFetched(next.get(0).from(), b, 1_000, now);

        // A commit only it holds waits for the hint: not asked before, asked after, and it costs nothing.
        askedOnlyAfterItsHint(core, full, Peer.commit(13), busySince);
    }

    @Test
    void aHolderBusyHintThatIsHugeIsBoundedAndOneThatIsNegativeOrZeroIsNone() {
        GossipCore core = core();
        Peer huge = Peer.connectedTo(core, now);
        Peer negative = Peer.connectedTo(core, now);
        String commit = Peer.commit(14);
        core.onHolderBusy(huge.id, commit, Long.MAX_VALUE, now);
        core.onHolderBusy(negative.id, commit, -5_000, now);
        core.onHolderBusy(negative.id, commit, 0, now);
        long start = now;
        assertThat(core.isResting(negative.id)).isFalse();
        assertThat(core.isResting(huge.id)).isTrue();
        while (core.isResting(huge.id) && now < start + 10 * 60_000) {
            now += 500;
            core.onTick(now);
        }
        assertThat(now - start).isBetween(Declines.MAX_BUSY_WAIT_MS, Declines.MAX_BUSY_WAIT_MS + 1_000);
        assertThat(core.score(huge.id)).isZero();
        assertThat(core.score(negative.id)).isZero();
    }
}
