package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.acting;
import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.CancelFetch;
import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GossipHostilePeerTest {
    final GossipConfig config = GossipConfig.defaults();
    final Identity selfId = Identity.generate();
    final GossipCore core = new GossipCore(selfId,
            NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), config, new Random(1), SignatureCheck.envelopes());
    long now = 10_000_000;

    Peer connected() {
        return Peer.connectedTo(core, now);
    }

    /** Sends each message and collects all effects. */
    List<Effect> send(Peer from, List<Gossip> messages) {
        List<Effect> all = new ArrayList<>();
        for (Gossip m : messages) {
            all.addAll(core.onMessage(from.id, m, now));
        }
        return all;
    }

    @Test
    void forgedAnnouncementsCostEightEachThenDisconnectThenBan() {
        Peer forger = connected();
        List<Gossip> forged = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            forged.add(Peer.announce(Peer.tampered(forger.inventory(now, Peer.commit(i)))));
        }

        List<Effect> first = send(forger, forged.subList(0, 4));
        assertThat(core.score(forger.id)).isEqualTo(-32.0);
        assertThat(only(first, Disconnect.class)).hasSize(1);
        assertThat(only(first, Fetch.class)).isEmpty();
        assertThat(core.connectedPeers()).doesNotContain(forger.id);

        List<Effect> rest = send(forger, forged.subList(4, 8)); // still in flight when the close was asked for
        assertThat(only(rest, Disconnect.class)).isEmpty();
        assertThat(core.isBanned(forger.id, now)).isTrue();
        assertThat(core.stats().invalid()).isEqualTo(8);
        assertThat(core.onConnected(forger.id, forger.hello(now), false, now)).anyMatch(e -> e instanceof Disconnect);
        assertThat(core.isBanned(forger.id, now + config.banDuration().toMillis())).isFalse();
    }

    @Test
    void unsignedAndWronglySignedAnnouncementsArePenalisedAndIgnored() {
        Peer peer = connected();
        Peer other = new Peer();
        SignedEnvelope unsigned = peer.inventory(now, Peer.commit(1)).toBuilder().clearSignature().build();
        // a valid signature by `peer` over an inventory that claims to be `other`'s
        SignedEnvelope foreignClaim = Envelopes.sign(peer.identity, Inventory.newBuilder().setNode(other.id.toByteString())
                .addCommits(Peer.commit(2)).setTimeMs(now).build());
        // `other`'s genuine inventory relayed by `peer`: inventories are never relayed
        SignedEnvelope relayed = other.inventory(now, Peer.commit(3));

        List<Effect> effects = send(peer, List.of(Peer.announce(unsigned), Peer.announce(foreignClaim), Peer.announce(relayed)));

        assertThat(only(effects, Fetch.class)).isEmpty();
        assertThat(core.score(peer.id)).isEqualTo(-24.0);
    }

    @Test
    void replaysAreDuplicatesInsideTheWindowAndStaleAfterIt() {
        Peer peer = connected();
        Gossip inventory = Peer.announce(peer.inventory(now, Peer.commit(7)));
        assertThat(only(core.onMessage(peer.id, inventory, now), Fetch.class)).hasSize(1);
        core.onFetchFailed(peer.id, Peer.commit(7), FetchFailure.NOT_FOUND, now);

        assertThat(acting(core.onMessage(peer.id, inventory, now + 1000))).isEmpty();
        assertThat(core.stats().duplicates()).isEqualTo(1);
        // "not found" for a commit it announced itself, not withdrawn within the grace, is a false claim;
        // the duplicate costs nothing more
        core.onTick(now + GoneClaims.GRACE_MS);
        assertThat(core.score(peer.id)).isEqualTo(-4.0);

        long later = now + config.seenTtl().plus(config.maxClockSkew()).plus(config.maxClockSkew()).toMillis() + 1;
        core.onTick(later);
        assertThat(core.stats().seenCacheSize()).isZero();
        double decayed = core.score(peer.id);
        // Refused for its date, not scored: a clock off by more than the skew dates every record so
        // (GossipRelayedClockTest); a replay gains nothing and spends the link's token bucket.
        List<Effect> replayed = core.onMessage(peer.id, inventory, later);
        assertThat(only(replayed, Fetch.class)).isEmpty();
        assertThat(only(replayed, Effect.ClockSkew.class)).hasSize(1);
        assertThat(core.score(peer.id)).isCloseTo(decayed, org.assertj.core.data.Offset.offset(0.1));

        Gossip fromTheFuture = Peer.announce(peer.inventory(later + config.maxClockSkew().toMillis() + 1000, Peer.commit(8)));
        assertThat(only(core.onMessage(peer.id, fromTheFuture, later), Fetch.class)).isEmpty();
        assertThat(core.score(peer.id)).isCloseTo(decayed, org.assertj.core.data.Offset.offset(0.1));
    }

    /** Two nodes the coordinator takes requests from may be twice its replay window apart. */
    @Test
    void anHonestPeerWhoseClockIsOffByUpToTheSkewIsHeardAndNotPenalised() {
        Peer behind = connected();
        Peer ahead = connected();
        long skew = config.maxClockSkew().toMillis() - 1000;
        assertThat(config.maxClockSkew()).isGreaterThanOrEqualTo(Duration.ofMinutes(10));

        assertThat(only(core.onMessage(behind.id, Peer.announce(behind.inventory(now - skew, Peer.commit(60))), now), Fetch.class))
                .hasSize(1);
        assertThat(only(core.onMessage(ahead.id, Peer.announce(ahead.inventory(now + skew, Peer.commit(61))), now), Fetch.class))
                .hasSize(1);
        // and an announcement the slow one relays a minute later still counts
        assertThat(only(core.onMessage(behind.id, Peer.announce(behind.inventory(now - skew - 60_000, Peer.commit(62))), now),
                Fetch.class)).hasSize(1);

        assertThat(core.score(behind.id)).isZero();
        assertThat(core.score(ahead.id)).isZero();
    }

    @Test
    void aReWrappedEnvelopeIsStillADuplicate() {
        Peer peer = connected();
        SignedEnvelope envelope = peer.inventory(now, Peer.commit(9));
        assertThat(only(core.onMessage(peer.id, Peer.announce(envelope), now), Fetch.class)).hasSize(1);

        // The same signed record with an unknown field added to its envelope: other bytes, same record.
        SignedEnvelope rewrapped = envelope.toBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(99, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build())
                .build();
        assertThat(rewrapped.toByteArray()).isNotEqualTo(envelope.toByteArray());
        assertThat(acting(core.onMessage(peer.id, Peer.announce(rewrapped), now + 1000))).isEmpty();
        assertThat(core.stats().duplicates()).isEqualTo(1);
    }

    @Test
    void aFlooderIsRateLimitedThenBanned() {
        Peer flooder = connected();
        List<Gossip> flood = new ArrayList<>();
        for (int i = 0; i < config.announcementBurst() + 100; i++) {
            flood.add(Peer.announce(flooder.result(now, Peer.commit(i))));
        }

        List<Effect> effects = send(flooder, flood);

        assertThat(core.stats().rateLimited()).isEqualTo(100);
        assertThat(only(effects, Disconnect.class)).hasSize(1);
        assertThat(core.isBanned(flooder.id, now)).isTrue();
        assertThat(only(effects, Effect.ResultSeen.class)).hasSize(config.announcementBurst());
    }

    @Test
    void aStalledFetchMovesToTheNextHolder() {
        Peer slow = connected();
        Peer good = connected();
        Peer lacking = connected();
        String commit = Peer.commit(42);
        List<Fetch> first = only(slow.announces(core, now, commit), Fetch.class);
        assertThat(first).containsExactly(new Fetch(slow.id, commit));
        assertThat(acting(core.onMessage(good.id, Peer.announce(good.inventory(now, commit)), now + 10))).isEmpty();

        core.onFetchProgress(slow.id, commit, StallFloor.MIN_PROGRESS_BYTES, now + 5_000);
        assertThat(only(core.onTick(now + 5_000 + config.fetchStall().toMillis() - 1), Fetch.class)).isEmpty();
        List<Effect> stalled = core.onTick(now + 5_000 + config.fetchStall().toMillis());

        assertThat(stalled).contains(new CancelFetch(slow.id, commit), new Fetch(good.id, commit));
        assertThat(core.score(slow.id)).isLessThan(-3.9);
        // the stalled fetch reporting in late changes nothing
        assertThat(acting(core.onFetchFailed(slow.id, commit, FetchFailure.STALLED, now + 20_000))).isEmpty();

        List<Effect> done = core.onFetched(good.id, commit, 1234, now + 21_000);
        assertThat(core.holds(commit)).isTrue();
        // announced to the neighbours that might lack it, not to the one it came from
        assertThat(only(done, Send.class)).extracting(Send::to).containsExactly(lacking.id);
    }

    @Test
    void aPeerThatTricklesBytesToDodgeTheStallRuleIsLeftForTheNextHolder() {
        Peer trickler = connected();
        Peer good = connected();
        String commit = Peer.commit(43);
        trickler.announces(core, now, commit);
        core.onMessage(good.id, Peer.announce(good.inventory(now, commit)), now + 10);

        long stall = config.fetchStall().toMillis();
        for (long t = 1_000, bytes = 1_000; t < stall; t += 1_000, bytes += 1_000) {
            core.onFetchProgress(trickler.id, commit, bytes, now + t);
        }
        List<Effect> stalled = core.onTick(now + stall);

        assertThat(stalled).contains(new CancelFetch(trickler.id, commit), new Fetch(good.id, commit));
    }

    @Test
    void aWrongBundleCostsSixteenAndTheNextHolderIsAsked() {
        Peer liar = connected();
        Peer honest = connected();
        String commit = Peer.commit(5);
        liar.announces(core, now, commit);
        honest.announces(core, now, commit);

        List<Effect> effects = core.onFetchFailed(liar.id, commit, FetchFailure.WRONG_BUNDLE, now + 100);

        assertThat(only(effects, Fetch.class)).containsExactly(new Fetch(honest.id, commit));
        assertThat(core.score(liar.id)).isEqualTo(-16.0);
    }

    /** A node's bundle limit is its own: every honest holder of a big commit says the same true size. */
    @Test
    void holdersOfABundleTooLargeForThisNodeAreNeverPenalisedNorAskedAgain() {
        Peer first = connected();
        Peer second = connected();
        for (int i = 0; i < 10; i++) {
            String commit = Peer.commit(40 + i);
            first.announces(core, now, commit);
            second.announces(core, now, commit);
            List<Effect> next = core.onFetchFailed(first.id, commit, FetchFailure.TOO_LARGE, now + 100);
            assertThat(only(next, Fetch.class)).containsExactly(new Fetch(second.id, commit));
            core.onHolderFault(first.id, commit, FetchFailure.TOO_LARGE, now + 100);
            List<Effect> last = core.onFetchFailed(second.id, commit, FetchFailure.TOO_LARGE, now + 200);
            assertThat(only(last, Fetch.class)).as("neither is asked again").isEmpty();
        }

        assertThat(core.score(first.id)).isZero();
        assertThat(core.score(second.id)).isZero();
        assertThat(core.isBanned(first.id, now + 300)).isFalse();
    }

    @Test
    void aSecondHolderProvenAtFaultPaysAsForItsOwnFetchAndABusyOneNothing() {
        Peer first = connected();
        Peer liar = connected();
        Peer busy = connected();
        String commit = Peer.commit(6);
        for (Peer p : List.of(first, liar, busy)) {
            p.announces(core, now, commit);
        }

        List<Effect> fault = core.onHolderFault(liar.id, commit, FetchFailure.WRONG_BUNDLE, now + 100);
        core.onHolderFault(busy.id, commit, FetchFailure.CONNECTION_LOST, now + 100);

        assertThat(core.score(liar.id)).isEqualTo(-16.0);
        assertThat(core.score(busy.id)).isZero();
        assertThat(core.score(first.id)).isZero();
        assertThat(only(fault, CancelFetch.class)).as("the fetch itself goes on").isEmpty();
        core.onHolderFault(liar.id, commit, FetchFailure.WRONG_BUNDLE, now + 200);
        assertThat(core.isBanned(liar.id, now + 200)).isTrue();
    }

    /**
     * Two stalls in a row (a silence that outlived a retry) rest the staller: nothing is asked of it
     * for the rest, and its first stall once asked again bans it (-4, -16, -64).
     */
    @Test
    void aPeerThatAnnouncesAndNeverServesIsBannedWithinAFewStalls() {
        Peer staller = connected();
        int stalls = 0;
        long restedAt = -1;
        for (int i = 0; !core.isBanned(staller.id, now) && i < 200; i++) {
            List<Effect> effects = new ArrayList<>(staller.announces(core, now, Peer.commit(100 + i)));
            effects.addAll(core.onTick(now));
            for (Effect e : effects) {
                if (e instanceof Fetch f && f.from().equals(staller.id) && !core.isBanned(staller.id, now)) {
                    core.onFetchFailed(staller.id, f.commit(), FetchFailure.STALLED, now);
                    stalls++;
                    if (stalls == 2) {
                        restedAt = now;
                    }
                }
            }
            now += 1000;
        }
        assertThat(stalls).isEqualTo(3);
        assertThat(core.isBanned(staller.id, now)).isTrue();
        assertThat(now - restedAt).isGreaterThanOrEqualTo(Declines.REST_MS);
    }

    @Test
    void peerExchangeMustBeAskedForAndMustVerify() {
        Peer peer = new Peer();
        List<Effect> hello = core.onConnected(peer.id, peer.hello(now), true, now);
        assertThat(only(hello, Send.class)).anyMatch(s -> s.message().hasPeerExchangeRequest());
        Peer stranger = new Peer();
        SignedEnvelope forgedRecord = Peer.tampered(stranger.hello(now));
        int known = core.stats().peerTableSize();

        core.onMessage(peer.id, Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder().addNodes(forgedRecord)).build(), now);
        assertThat(core.score(peer.id)).isEqualTo(-8.0);
        assertThat(core.stats().peerTableSize()).isEqualTo(known);

        core.onMessage(peer.id, Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder().addNodes(stranger.hello(now))).build(), now);
        assertThat(core.score(peer.id)).isLessThan(-11.9); // unsolicited: the one request was answered already
        assertThat(core.stats().peerTableSize()).isEqualTo(known);
    }

    @Test
    void aRecordThisNodeVerifiedAndHoldsIsNotVerifiedAgainButAnyOtherCopyIs() {
        CountingSignatureCheck counting = new CountingSignatureCheck();
        AtomicInteger verified = counting.checks;
        GossipCore counted = new GossipCore(selfId, NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), config,
                new Random(1), counting);
        Peer stranger = new Peer();
        SignedEnvelope strangerRecord = stranger.hello(now);
        Peer first = Peer.connectedTo(counted, now);   // its hello: one check
        counted.onMessage(first.id, exchange(strangerRecord), now);
        assertThat(verified).hasValue(2);

        // The same bytes again (Ed25519 signs deterministically), in an exchange and a hello: held, so
        // not checked again, and taken as before.
        Peer second = Peer.connectedTo(counted, now);
        assertThat(verified).hasValue(3);
        counted.onMessage(second.id, exchange(strangerRecord, first.hello(now)), now);
        assertThat(verified).hasValue(3);
        assertThat(counted.score(second.id)).isZero();
        counted.onDisconnected(second.id, now);
        assertThat(counted.onConnected(second.id, second.hello(now), false, now)).noneMatch(e -> e instanceof Disconnect);
        assertThat(verified).hasValue(3);
        assertThat(counted.connectedPeers()).contains(second.id);

        // A newer record of a held peer, and a copy of it with a flipped signature bit, are other records: checked.
        Peer third = Peer.connectedTo(counted, now);
        counted.onMessage(third.id, exchange(stranger.hello(now + 1)), now + 1);
        assertThat(verified).hasValue(5);
        Peer fourth = Peer.connectedTo(counted, now + 1);
        counted.onMessage(fourth.id, exchange(Peer.tampered(stranger.hello(now + 1))), now + 1);
        assertThat(verified).hasValue(7);
        assertThat(counted.score(fourth.id)).isEqualTo(-8.0);
    }

    @Test
    void anOlderVersionOfAHeldRecordIsDroppedUnverifiedAndTheNewerOneIsKept() {
        CountingSignatureCheck counting = new CountingSignatureCheck();
        AtomicInteger verified = counting.checks;
        GossipCore counted = new GossipCore(selfId, NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), config,
                new Random(1), counting);
        Peer stranger = new Peer();
        SignedEnvelope older = stranger.hello(now - 60_000);
        SignedEnvelope newer = stranger.hello(now);
        Peer first = Peer.connectedTo(counted, now);   // its hello: one check
        counted.onMessage(first.id, exchange(newer), now);
        assertThat(verified).hasValue(2);

        // A neighbour still holding last minute's version hands it on (each node re-signs every
        // minute): the table would not take it, so it is not verified, and the neighbour is not blamed.
        Peer behind = Peer.connectedTo(counted, now);
        assertThat(verified).hasValue(3);
        counted.onMessage(behind.id, exchange(older, behind.hello(now)), now);
        assertThat(verified).as("neither: the neighbour's own record is the one its hello brought").hasValue(3);
        assertThat(counted.score(behind.id)).isZero();
        // A replayed old version with a forged signature costs no check either, and taints nothing after it.
        Peer replayer = Peer.connectedTo(counted, now);
        Peer third = new Peer();
        counted.onMessage(replayer.id, exchange(Peer.tampered(older), third.hello(now)), now);
        assertThat(verified).as("the replayer's hello and the new record after the old one").hasValue(5);
        assertThat(counted.score(replayer.id)).isZero();

        List<Effect> answer = counted.onMessage(first.id, Gossip.newBuilder()
                .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(32)).build(), now);
        assertThat(only(answer, Send.class).get(0).message().getPeerExchange().getNodesList())
                .as("the newer version is the one kept and handed on").contains(newer, third.hello(now)).doesNotContain(older);

        // A record of the same date that differs in a byte is still checked, and a forgery penalised.
        Peer forger = Peer.connectedTo(counted, now);
        assertThat(verified).hasValue(6);
        counted.onMessage(forger.id, exchange(Peer.tampered(newer)), now);
        assertThat(verified).hasValue(7);
        assertThat(counted.score(forger.id)).isEqualTo(-8.0);
    }

    private static Gossip exchange(SignedEnvelope... records) {
        return Gossip.newBuilder().setPeerExchange(PeerExchange.newBuilder().addAllNodes(List.of(records))).build();
    }

    @Test
    void aHelloSignedBySomeoneElseIsRefused() {
        Peer peer = new Peer();
        Peer other = new Peer();
        assertThat(core.onConnected(peer.id, other.hello(now), false, now)).anyMatch(e -> e instanceof Disconnect);
        assertThat(core.connectedPeers()).isEmpty();
        assertThat(core.score(peer.id)).isNegative();
    }

    @Test
    void wireViolationsAreScored() {
        Peer peer = connected();
        core.onViolation(peer.id, Violation.MALFORMED_FRAME, now);
        assertThat(core.score(peer.id)).isEqualTo(-8.0);
        List<Effect> effects = core.onViolation(peer.id, Violation.OVERSIZED_FRAME, now);
        assertThat(only(effects, Disconnect.class)).hasSize(1);
    }

    /** The keepers named in the inventories among {@code effects}, per peer told. */
    static List<com.google.protobuf.ByteString> keepersNamed(List<Effect> effects) {
        List<com.google.protobuf.ByteString> named = new ArrayList<>();
        for (Send s : only(effects, Send.class)) {
            if (s.message().hasAnnouncement()) {
                try {
                    named.addAll(Envelopes.open(s.message().getAnnouncement(), Inventory.getDefaultInstance()).record()
                            .getKeepList());
                } catch (Exception notAnInventory) {
                    // a NodeInfo or a Result
                }
            }
        }
        return named;
    }

    @Test
    void aKeeperThatClaimsTheCommitWithoutTakingItIsNotCountedAndAnotherIsNamed() {
        GossipCore maker = new GossipCore(selfId, NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), config,
                new Random(1), SignatureCheck.envelopes(), Wants.workAndReplicas(1));
        maker.start(List.of(), now);
        Peer liar = Peer.connectedTo(maker, now);
        String commit = Peer.commit(42);
        assertThat(keepersNamed(maker.onLocalCommit(commit, now))).as("its only link is named")
                .containsExactly(liar.id.toByteString());

        // The liar says at once that it holds the commit, having fetched nothing from us.
        liar.announces(maker, now + 10, commit);
        assertThat(maker.confirmedKeepers(commit)).as("an announcement alone is no evidence").isEmpty();

        Peer honest = Peer.connectedTo(maker, now + 20);
        List<Effect> waited = GossipCoreTimeTest.runUntil(maker, List.of(), now + 20, now + 20 + Keepers.WAIT_MS + 2_000);
        assertThat(keepersNamed(waited)).as("after the wait the liar is doubted and the other link named")
                .containsExactly(honest.id.toByteString());

        // The honest keeper takes the whole bundle from us (it announces to those that lack it, not to us): confirmed.
        long t = now + 20 + Keepers.WAIT_MS + 2_000;  // where the driver's loop above stopped
        maker.onServed(honest.id, commit, t);
        assertThat(maker.confirmedKeepers(commit)).containsExactly(honest.id);
        assertThat(keepersNamed(GossipCoreTimeTest.runUntil(maker, List.of(), t, t + 3 * Keepers.WAIT_MS)))
                .as("enough copies: nobody more is named, the liar never again").isEmpty();
    }

    @Test
    void onlyAWholeBundleServedConfirmsACopyNamedOrNot() {
        GossipCore maker = new GossipCore(selfId, NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), config,
                new Random(1), SignatureCheck.envelopes(), Wants.workAndReplicas(2));
        maker.start(List.of(), now);
        String commit = Peer.commit(7);
        maker.onLocalCommit(commit, now);  // no links yet: nobody named
        Peer claimant = Peer.connectedTo(maker, now + 1);
        Peer worker = Peer.connectedTo(maker, now + 1);

        claimant.announces(maker, now + 2, commit);  // says it holds it: took nothing from us
        maker.onServed(worker.id, commit, now + 3);  // its work took the whole bundle from us

        assertThat(maker.confirmedKeepers(commit)).containsExactly(worker.id);
        List<Effect> later = GossipCoreTimeTest.runUntil(maker, List.of(), now + 3, now + 3 * Keepers.WAIT_MS);
        assertThat(keepersNamed(later)).as("the claimant is never named: it says it holds the commit already")
                .doesNotContain(claimant.id.toByteString());
    }
}
