package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * An honest node forgets: its repository's budget prunes commits it announced, its keep budget
 * evicts kept ones, it restarts. None of that may cost it score at an honest neighbour, while a
 * peer that announces commits it never holds still pays. All on virtual time, through the core.
 */
class GossipHonestForgettingTest {
    static final long MIB = 1L << 20;
    final GossipConfig config = GossipConfig.defaults();
    long now = 80_000_000;

    GossipCore core(Identity identity, Wants wants) {
        return new GossipCore(identity, NodeInfo.newBuilder().setHost("192.0.2.1").setPort(7000).build(), config,
                new Random(3), SignatureCheck.envelopes(), wants);
    }

    /** Links two cores (both ends), dropping the greetings. */
    void link(GossipCore dialler, GossipCore target) {
        target.onConnected(dialler.id(), dialler.signedSelfInfo(now), false, now);
        dialler.onConnected(target.id(), target.signedSelfInfo(now), true, now);
    }

    /** Delivers {@code from}'s Sends addressed to {@code to}; returns what {@code to} did. */
    List<Effect> deliver(GossipCore from, List<Effect> effects, GossipCore to) {
        return Effects.deliver(from, effects, to, now);
    }

    static Inventory inventory(Send send) {
        try {
            return Inventory.parseFrom(send.message().getAnnouncement().getPayload());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code peer}'s signed withdrawal of {@code commits}. */
    List<Effect> withdraws(Peer peer, GossipCore core, boolean released, String... commits) {
        Inventory.Builder inventory = Inventory.newBuilder().setNode(peer.id.toByteString()).setTimeMs(now);
        if (released) {
            inventory.addAllReleased(List.of(commits));
        } else {
            inventory.addAllGone(List.of(commits));
        }
        return core.onMessage(peer.id, Peer.announce(Envelopes.sign(peer.identity, inventory.build())), now);
    }

    @Test
    void aNeighbourThatAskedForACommitThisNodeJustGaveUpScoresNoFalseClaimWhicheverArrivesFirst() {
        GossipCore holder = core(Identity.generate(), Wants.everything());
        GossipCore asker = core(Identity.generate(), Wants.everything());
        holder.start(List.of(), now);
        asker.start(List.of(), now);
        link(asker, holder);

        // The withdrawal is slower than the fetch's "not found" (separate connections).
        String first = Peer.commit(1);
        List<Fetch> fetches = only(deliver(holder, holder.onLocalCommit(first, now), asker), Fetch.class);
        assertThat(fetches).extracting(Fetch::commit).containsExactly(first);
        List<Effect> withdrawal = holder.onDropped(List.of(first), now);
        assertThat(only(withdrawal, Send.class)).singleElement().satisfies(s -> assertThat(inventory(s).getGoneList())
                .containsExactly(first));
        now += 50;
        asker.onFetchFailed(holder.id(), first, FetchFailure.NOT_FOUND, now);
        now += 3_000;
        deliver(holder, withdrawal, asker);

        // The withdrawal comes first, while the fetch is in flight.
        String second = Peer.commit(2);
        assertThat(only(deliver(holder, holder.onLocalCommit(second, now), asker), Fetch.class)).hasSize(1);
        deliver(holder, holder.onDropped(List.of(second), now), asker);
        asker.onFetchFailed(holder.id(), second, FetchFailure.NOT_FOUND, now);

        now += GoneClaims.GRACE_MS * 3;
        asker.onTick(now);
        assertThat(asker.score(holder.id())).isZero();
        assertThat(asker.connectedPeers()).contains(holder.id());

        // Given up before anyone asked: announced again later, it is fetched again; nobody asks the withdrawn holder.
        String third = Peer.commit(3);
        deliver(holder, holder.onLocalCommit(third, now), asker);
        asker.onFetched(holder.id(), third, 1_000, now);
        assertThat(holder.holds(third)).isTrue();
        holder.onDropped(List.of(third), now);
        assertThat(holder.holds(third)).isFalse();
    }

    @Test
    void aLinkOpenedAfterTheNodeGaveCommitsUpIsToldTheyAreGone() {
        GossipCore holder = core(Identity.generate(), Wants.everything());
        holder.start(List.of(), now);
        holder.onLocalCommit(Peer.commit(1), now);
        holder.onLocalCommit(Peer.commit(2), now);
        holder.onDropped(List.of(Peer.commit(1)), now); // no link up: nobody hears it now

        Peer returning = new Peer();
        List<Send> greeting = only(holder.onConnected(returning.id, returning.hello(now), false, now), Send.class);

        assertThat(greeting).filteredOn(s -> s.message().hasAnnouncement()).singleElement().satisfies(s -> {
            assertThat(inventory(s).getCommitsList()).containsExactly(Peer.commit(2));
            assertThat(inventory(s).getGoneList()).containsExactly(Peer.commit(1));
        });
    }

    @Test
    void aPeerThatAnnouncesCommitsItNeverHoldsStillLosesScoreAndWithdrawingEachLieOnlyDelaysItsBan() {
        GossipCore asker = core(Identity.generate(), Wants.everything());
        asker.start(List.of(), now);
        Peer liar = Peer.connectedTo(asker, now);

        assertThat(only(liar.announces(asker, now, Peer.commit(10)), Fetch.class)).hasSize(1);
        asker.onFetchFailed(liar.id, Peer.commit(10), FetchFailure.NOT_FOUND, now);
        assertThat(asker.score(liar.id)).as("doubted for the grace").isZero();
        now += GoneClaims.GRACE_MS;
        asker.onTick(now);
        assertThat(asker.score(liar.id)).as("no withdrawal: a false claim").isEqualTo(-4.0);

        // A liar that withdraws every commit once it answered "not found" is excused only within its ration.
        Peer sly = Peer.connectedTo(asker, now);
        int lies = (int) GoneClaims.EXCUSE_BURST + 8; // the ration, then a ban's worth of false claims
        for (int i = 0; i < lies; i++) {
            String commit = Peer.commit(1_000 + i);
            now += 100;
            assertThat(only(sly.announces(asker, now, commit), Fetch.class)).hasSize(1);
            asker.onFetchFailed(sly.id, commit, FetchFailure.NOT_FOUND, now);
            withdraws(sly, asker, false, commit);
            asker.onTick(now);
        }
        now += GoneClaims.GRACE_MS;
        asker.onTick(now);
        assertThat(asker.isBanned(sly.id, now)).as("banned after %d withdrawn lies", lies).isTrue();
    }

    @Test
    void aKeeperThatEvictsAKeptCommitTellsItsMakerWhichNamesAnother() {
        Identity keeperId = Identity.generate();
        GossipCore keeper = core(keeperId, Wants.workAndReplicas(3, 2 * MIB, MIB));
        keeper.start(List.of(), now);
        Peer heavy = Peer.connectedTo(keeper, now);
        Peer light = Peer.connectedTo(keeper, now);
        for (int i = 0; i < 2; i++) {
            String commit = Peer.commit(100 + i);
            var keep = Envelopes.sign(heavy.identity, Inventory.newBuilder().setNode(heavy.id.toByteString())
                    .addCommits(commit).addKeep(keeperId.publicId().toByteString()).setTimeMs(now).build());
            assertThat(only(keeper.onMessage(heavy.id, Peer.announce(keep), now), Fetch.class)).hasSize(1);
            keeper.onFetched(heavy.id, commit, MIB, now);
        }
        // The budget is full of `heavy`'s commits; `light` asks for its equal share.
        var ask = Envelopes.sign(light.identity, Inventory.newBuilder().setNode(light.id.toByteString())
                .addCommits(Peer.commit(200)).addKeep(keeperId.publicId().toByteString()).setTimeMs(now).build());
        List<Effect> effects = keeper.onMessage(light.id, Peer.announce(ask), now);

        assertThat(only(effects, Fetch.class)).hasSize(1);
        assertThat(only(effects, Send.class)).filteredOn(s -> s.to().equals(heavy.id)).singleElement()
                .satisfies(s -> assertThat(inventory(s).getReleasedList()).containsExactly(Peer.commit(100)));
    }

    @Test
    void aMakerToldThatAKeeperGaveItsCommitUpCountsItNoMoreAndNamesAnother() {
        GossipCore maker = core(Identity.generate(), Wants.workAndReplicas(3, 64 * MIB, MIB));
        maker.start(List.of(), now);
        List<Peer> links = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            links.add(Peer.connectedTo(maker, now));
        }
        String commit = Peer.commit(7);
        List<PublicId> named = new ArrayList<>();
        only(maker.onLocalCommit(commit, now), Send.class).forEach(s ->
                inventory(s).getKeepList().forEach(k -> named.add(PublicId.of(k))));
        List<PublicId> keepers = named.stream().distinct().toList();
        assertThat(keepers).hasSize(3);
        keepers.forEach(k -> maker.onServed(k, commit, now));
        assertThat(maker.confirmedKeepers(commit)).containsExactlyInAnyOrderElementsOf(keepers);

        Peer evicting = links.stream().filter(p -> p.id.equals(keepers.get(0))).findFirst().orElseThrow();
        Peer pruning = links.stream().filter(p -> p.id.equals(keepers.get(1))).findFirst().orElseThrow();
        List<Effect> afterRelease = withdraws(evicting, maker, true, commit);
        List<Effect> afterGone = withdraws(pruning, maker, false, commit);

        assertThat(maker.confirmedKeepers(commit)).containsExactly(keepers.get(2));
        List<PublicId> renamed = new ArrayList<>();
        for (List<Effect> effects : List.of(afterRelease, afterGone)) {
            only(effects, Send.class).forEach(s -> inventory(s).getKeepList().forEach(k -> renamed.add(PublicId.of(k))));
        }
        assertThat(renamed).hasSize(2).doesNotContainAnyElementsOf(keepers);
    }

    @Test
    void aRestartedNodeNamesKeepersOnlyForTheCommitsItMade() {
        GossipCore restarted = core(Identity.generate(), Wants.workAndReplicas(3, 64 * MIB, MIB));
        String own = Peer.commit(1);
        restarted.onHeld(own, true, now);
        for (int i = 2; i < 40; i++) {
            restarted.onHeld(Peer.commit(i), false, now); // fetched for others before the restart
        }
        restarted.start(List.of(), now);
        List<Effect> effects = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Peer peer = new Peer();
            effects.addAll(restarted.onConnected(peer.id, peer.hello(now), false, now));
        }
        now += 1_000;
        effects.addAll(restarted.onTick(now));

        List<Inventory> naming = only(effects, Send.class).stream().filter(s -> s.message().hasAnnouncement())
                .map(GossipHonestForgettingTest::inventory).filter(inv -> inv.getKeepCount() > 0).toList();
        assertThat(naming).isNotEmpty().allSatisfy(inv -> assertThat(inv.getCommitsList()).containsExactly(own));
        assertThat(restarted.holds(Peer.commit(39))).isTrue();
    }

    /** The keepers {@code effects} name, in Inventories that name any. */
    static List<PublicId> named(List<Effect> effects) {
        return only(effects, Send.class).stream().filter(s -> s.message().hasAnnouncement())
                .filter(s -> s.message().getAnnouncement().getType().equals(Inventory.getDescriptor().getFullName()))
                .flatMap(s -> inventory(s).getKeepList().stream()).map(PublicId::of).toList();
    }

    @Test
    void aKeeperAwayFromItsMakerPastTheGraceIsCountedNoMoreAndAnotherIsNamed() {
        // The keeper restarts, links elsewhere and prunes the commit: its withdrawal never reaches the maker.
        GossipCore maker = core(Identity.generate(), Wants.workAndReplicas(1, 64 * MIB, MIB));
        maker.start(List.of(), now);
        List<Peer> links = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            links.add(Peer.connectedTo(maker, now));
        }
        String commit = Peer.commit(11);
        PublicId first = named(maker.onLocalCommit(commit, now)).stream().distinct().collect(
                Collectors.collectingAndThen(Collectors.toList(), l -> {
                    assertThat(l).hasSize(1);
                    return l.get(0);
                }));
        maker.onServed(first, commit, now);
        Peer keeper = links.stream().filter(p -> p.id.equals(first)).findFirst().orElseThrow();

        // Away briefly (a restart) and back: named again, it says it still holds the commit, and
        // it is counted again; nobody else is named.
        maker.onDisconnected(first, now);
        long back = now + Keepers.AWAY_MS / 2;
        assertThat(named(GossipCoreTimeTest.runUntil(maker, List.of(), now, back))).isEmpty();
        now = back;
        List<Effect> relinked = maker.onConnected(keeper.id, keeper.hello(now), false, now);
        List<PublicId> namedAgain = named(GossipCoreTimeTest.runUntil(maker, relinked, now,
                now + 5 * GossipCore.HOUSEKEEPING_MS));
        assertThat(namedAgain).containsOnly(first);
        now += 5 * GossipCore.HOUSEKEEPING_MS;
        maker.onMessage(keeper.id, Peer.announce(Envelopes.sign(keeper.identity, Inventory.newBuilder()
                .setNode(keeper.id.toByteString()).addCommits(commit).setTimeMs(now).build())), now);
        assertThat(maker.confirmedKeepers(commit)).containsExactly(first);
        long later = now + 2 * Keepers.AWAY_MS;
        assertThat(named(GossipCoreTimeTest.runUntil(maker, List.of(), now, later))).isEmpty();
        now = later;
        assertThat(maker.confirmedKeepers(commit)).containsExactly(first);

        // Away for good: once the grace is over another link is named, and only one (the silent test
        // links of the start have been closed by now: new ones are the candidates).
        for (int i = 0; i < 3; i++) {
            links.add(Peer.connectedTo(maker, now));
        }
        maker.onDisconnected(first, now);
        long graceEnds = now + Keepers.AWAY_MS;
        assertThat(named(GossipCoreTimeTest.runUntil(maker, List.of(), now, graceEnds - 1))).isEmpty();
        List<PublicId> renamed = named(GossipCoreTimeTest.runUntil(maker, List.of(), graceEnds - 1,
                graceEnds + 5 * GossipCore.HOUSEKEEPING_MS));
        assertThat(renamed).hasSize(1).doesNotContain(first);
        assertThat(links.stream().map(p -> p.id)).contains(renamed.get(0));
    }

    @Test
    void whenEveryLinkGaveAnOwnCommitUpTheKeepersAreAskedAgainAfterAWhileButNotALinkThatNeverKeptIt() {
        GossipCore maker = core(Identity.generate(), Wants.workAndReplicas(3, 64 * MIB, MIB));
        maker.start(List.of(), now);
        List<Peer> links = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            links.add(Peer.connectedTo(maker, now));
        }
        String commit = Peer.commit(12);
        List<PublicId> keepers = named(maker.onLocalCommit(commit, now)).stream().distinct().toList();
        assertThat(keepers).hasSize(3);
        keepers.forEach(k -> maker.onServed(k, commit, now));
        Peer never = links.stream().filter(p -> !keepers.contains(p.id)).findFirst().orElseThrow();
        // The one link never named says it gave the commit up (it never had it): it is not named now.
        assertThat(named(withdraws(never, maker, false, commit))).isEmpty();
        // Every keeper gives it up (its repository's budget): no link is left to name.
        now += 1_000;
        for (Peer p : links) {
            if (keepers.contains(p.id)) {
                assertThat(named(withdraws(p, maker, false, commit))).isEmpty();
            }
        }
        assertThat(maker.confirmedKeepers(commit)).isEmpty();
        long again = now + Keepers.GONE_MS;
        assertThat(named(GossipCoreTimeTest.runUntil(maker, List.of(), now, again - 1))).isEmpty();
        List<PublicId> askedAgain = named(GossipCoreTimeTest.runUntil(maker, List.of(), again - 1,
                again + 5 * GossipCore.HOUSEKEEPING_MS));
        assertThat(askedAgain).containsExactlyInAnyOrderElementsOf(keepers).doesNotContain(never.id);
    }

    @Test
    void aKeeperBackFromAwayThatNoLongerHoldsTheCommitIsNotCountedOnItsSilenceAndAnotherIsNamed() {
        // Seed 29021: the keeper gave the commit up while away from its maker and then restarted,
        // forgetting that it had; it linked back and the maker counted it for good.
        GossipCore maker = core(Identity.generate(), Wants.workAndReplicas(1, 64 * MIB, MIB));
        maker.start(List.of(), now);
        List<Peer> links = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            links.add(Peer.connectedTo(maker, now));
        }
        String commit = Peer.commit(13);
        PublicId first = named(maker.onLocalCommit(commit, now)).get(0);
        maker.onServed(first, commit, now);
        Peer keeper = links.stream().filter(p -> p.id.equals(first)).findFirst().orElseThrow();
        maker.onDisconnected(first, now);
        now += Keepers.AWAY_MS / 2;
        for (int i = 0; i < 3; i++) {
            links.add(Peer.connectedTo(maker, now)); // links that can be named
        }
        List<Effect> relinked = maker.onConnected(keeper.id, keeper.hello(now), false, now);

        // It says nothing (it holds nothing to say): counted while it may still fetch, then another is named.
        long waitEnds = now + Keepers.WAIT_MS;
        assertThat(named(GossipCoreTimeTest.runUntil(maker, relinked, now, waitEnds))).containsOnly(first);
        assertThat(maker.confirmedKeepers(commit)).isEmpty();
        List<PublicId> another = named(GossipCoreTimeTest.runUntil(maker, List.of(), waitEnds,
                waitEnds + 5 * GossipCore.HOUSEKEEPING_MS));
        assertThat(another).hasSize(1).doesNotContain(first);
    }

    @Test
    void aKeeperBackFromAwayThatGaveTheCommitUpFetchesItAgainAndIsCounted() {
        GossipCore maker = core(Identity.generate(), Wants.workAndReplicas(1, 64 * MIB, MIB));
        maker.start(List.of(), now);
        Peer keeper = Peer.connectedTo(maker, now);
        String commit = Peer.commit(14);
        assertThat(named(maker.onLocalCommit(commit, now))).containsExactly(keeper.id);
        maker.onServed(keeper.id, commit, now);
        maker.onDisconnected(keeper.id, now);
        now += 1_000;
        List<Effect> relinked = maker.onConnected(keeper.id, keeper.hello(now), false, now);
        assertThat(named(GossipCoreTimeTest.runUntil(maker, relinked, now, now + 5 * GossipCore.HOUSEKEEPING_MS)))
                .containsOnly(keeper.id);
        now += 5 * GossipCore.HOUSEKEEPING_MS;
        maker.onServed(keeper.id, commit, now); // it fetched the bundle from us again
        assertThat(maker.confirmedKeepers(commit)).containsExactly(keeper.id);
        long later = now + 2 * Keepers.WAIT_MS;
        assertThat(named(GossipCoreTimeTest.runUntil(maker, List.of(), now, later))).isEmpty();
        assertThat(maker.confirmedKeepers(commit)).containsExactly(keeper.id);
    }

    @Test
    void aNodeNamedKeeperForACommitItAlreadyHoldsSaysSoToTheOneThatNamedIt() {
        Identity keeperId = Identity.generate();
        GossipCore keeper = core(keeperId, Wants.workAndReplicas(3, 64 * MIB, MIB));
        String commit = Peer.commit(15);
        keeper.onHeld(commit, false, now);
        keeper.start(List.of(), now);
        Peer maker = Peer.connectedTo(keeper, now);
        var naming = Envelopes.sign(maker.identity, Inventory.newBuilder().setNode(maker.id.toByteString())
                .addCommits(commit).addKeep(keeperId.publicId().toByteString()).setTimeMs(now).build());
        List<Effect> effects = new ArrayList<>(keeper.onMessage(maker.id, Peer.announce(naming), now));
        effects.addAll(GossipCoreTimeTest.runUntil(keeper, effects, now, now + 5 * GossipCore.HOUSEKEEPING_MS));

        assertThat(only(effects, Fetch.class)).isEmpty();
        assertThat(only(effects, Send.class)).filteredOn(s -> s.to().equals(maker.id))
                .filteredOn(s -> s.message().hasAnnouncement())
                .anySatisfy(s -> assertThat(inventory(s).getCommitsList()).contains(commit));
    }
}
