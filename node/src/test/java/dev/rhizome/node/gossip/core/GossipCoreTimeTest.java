package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.DuplicateLink;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.node.gossip.core.Effect.FindPeers;
import dev.rhizome.node.gossip.core.Effect.SavePeers;
import dev.rhizome.node.gossip.core.Effect.SignedSelf;
import dev.rhizome.node.gossip.core.Effect.Wakeup;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The core owns time and policy: it asks for its wakeups, re-signs its hello, asks for bootstrap
 * nodes, persists its peers, breaks ties between duplicate links and says where each holder is,
 * all on virtual time passed in. Driven here as a driver would: ticked only when it asks.
 */
class GossipCoreTimeTest {
    final Identity identity = Identity.generate();
    long now = 50_000_000;

    GossipCore core(Wants wants) {
        return new GossipCore(identity, NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(),
                GossipConfig.defaults(), new Random(1), SignatureCheck.envelopes(), wants);
    }

    /** The driver's loop: jumps to each wakeup the core asks for until {@code untilMs}, collecting what it says. */
    static List<Effect> runUntil(GossipCore core, List<Effect> first, long fromMs, long untilMs) {
        List<Effect> all = new ArrayList<>(first);
        long wake = lastWakeup(first) == Long.MIN_VALUE ? core.nextWakeupMs() : lastWakeup(first);
        long t = fromMs;
        while (wake <= untilMs) {
            assertThat(wake).as("a wakeup is never in the past").isGreaterThanOrEqualTo(t);
            t = wake;
            List<Effect> step = core.onTick(t);
            all.addAll(step);
            long next = lastWakeup(step);
            wake = next == Long.MIN_VALUE ? core.nextWakeupMs() : next;
        }
        return all;
    }

    static long lastWakeup(List<Effect> effects) {
        List<Wakeup> w = only(effects, Wakeup.class);
        return w.isEmpty() ? Long.MIN_VALUE : w.get(w.size() - 1).atMs();
    }

    @Test
    void startSignsAsksForPeersAndForAWakeup() {
        GossipCore core = core(Wants.everything());
        List<Effect> start = core.start(List.of(), now);

        assertThat(only(start, SignedSelf.class)).hasSize(1);
        assertThat(only(start, FindPeers.class)).hasSize(1);
        assertThat(lastWakeup(start)).isBetween(now, now + GossipCore.HOUSEKEEPING_MS);
    }

    @Test
    void theHelloIsResignedAndPeersAskedForOnTheCoresOwnSchedule() throws Exception {
        GossipCore core = core(Wants.everything());
        List<Effect> start = core.start(List.of(), now);

        List<Effect> minute = runUntil(core, start, now, now + SelfSigner.RESIGN_MS);

        List<SignedSelf> signed = only(minute, SignedSelf.class);
        assertThat(signed).hasSize(2);
        NodeInfo resigned = Envelopes.open(signed.get(1).nodeInfo(), NodeInfo.getDefaultInstance()).record();
        assertThat(resigned.getTimeMs()).isEqualTo(now + SelfSigner.RESIGN_MS);
        // no links: the bootstrap source is asked again after FIND_PEERS_MS, then after twice that
        // (at start, 10 s and 30 s; FindPeersBackoffTest has the rest), no more often
        assertThat(only(minute, FindPeers.class)).hasSize(3);
    }

    @Test
    void peersWeLinkedWithArePersistedOnScheduleAndAtStop() {
        GossipCore core = core(Wants.everything());
        List<Effect> start = core.start(List.of(), now);
        Peer peer = new Peer();
        core.onConnected(peer.id, peer.hello(now), true, now);

        List<Effect> later = runUntil(core, start, now, now + RememberedPeers.SAVE_PEERS_MS);

        assertThat(only(later, SavePeers.class)).singleElement()
                .satisfies(s -> assertThat(s.peers()).containsExactly(peer.hello(now)));
        assertThat(only(core.stop(now + RememberedPeers.SAVE_PEERS_MS + 1), SavePeers.class)).hasSize(1);
    }

    @Test
    void bothEndsOfADoubleDialKeepTheSameLinkAndAReconnectReplacesTheOld() {
        Peer other = new Peer();
        GossipCore ours = core(Wants.everything());
        ours.start(List.of(), now);
        // We dialled first; then the peer's own dial arrives.
        ours.onConnected(other.id, other.hello(now), true, now);
        boolean weKeepTheirs = only(ours.onConnected(other.id, other.hello(now), false, now), DuplicateLink.class)
                .get(0).keepNew();
        // The rule at the other end, seen from there: its link (outbound) is the new one.
        boolean theyKeepTheirs = ours.keepsNewLink(other.id, true, false);
        assertThat(weKeepTheirs).isEqualTo(theyKeepTheirs)
                .isEqualTo(other.id.toString().compareTo(identity.publicId().toString()) < 0);

        assertThat(ours.keepsNewLink(other.id, true, true)).as("the same dialler again: a reconnect").isTrue();
        assertThat(ours.connectedPeers()).containsExactly(other.id);
    }

    @Test
    void aStallIsFoundAtTheWakeupTheCoreAskedForAndFetchesSayWhereTheHolderIs() {
        GossipCore core = core(Wants.everything());
        List<Effect> start = core.start(List.of(), now);
        Peer slow = new Peer();
        core.onConnected(slow.id, slow.hello(now), true, now);
        List<Effect> announced = core.onMessage(slow.id, Peer.announce(slow.inventory(now, Peer.commit(9))), now);
        Fetch fetch = only(announced, Fetch.class).get(0);
        assertThat(fetch.where().info().getHost()).isEqualTo(slow.info.getHost());
        assertThat(fetch.where().info().getPort()).isEqualTo(slow.info.getPort());

        List<Effect> later = runUntil(core, announced, now,
                now + GossipConfig.defaults().fetchStall().toMillis());

        assertThat(only(later, Effect.CancelFetch.class)).containsExactly(new Effect.CancelFetch(slow.id, Peer.commit(9)));
    }

    @Test
    void theWorksHintsCarryTheirAddressesIntoTheFetch() {
        GossipCore core = core(Wants.everything());
        core.start(List.of(), now);
        Peer far = new Peer();

        List<Effect> wanted = core.wantFrom(Peer.commit(4), List.of(far.info), now);

        assertThat(only(wanted, Fetch.class)).singleElement().satisfies(f -> assertThat(f.where()).isEqualTo(new PeerAddressing(far.info, PeerAddress.Reach.LOOPBACK)));
    }

    @Test
    void underTheWantsFilterOnlyTheWorkAndKeepListsFetchAndAMakerNamesItsKeepers() throws Exception {
        GossipCore core = core(Wants.workAndReplicas(2));
        core.start(List.of(), now);
        Peer maker = new Peer();
        core.onConnected(maker.id, maker.hello(now), true, now);

        assertThat(only(core.onMessage(maker.id, Peer.announce(maker.inventory(now, Peer.commit(1))), now), Fetch.class))
                .as("announced, not wanted").isEmpty();
        assertThat(only(core.want(Peer.commit(1), List.of(), now + 1), Fetch.class))
                .as("the work asks: fetched from the holder heard before").containsExactly(new Fetch(maker.id, Peer.commit(1)));

        var keep = Envelopes.sign(maker.identity, Inventory.newBuilder().setNode(maker.id.toByteString())
                .addCommits(Peer.commit(2)).addKeep(identity.publicId().toByteString()).setTimeMs(now).build());
        assertThat(only(core.onMessage(maker.id, Peer.announce(keep), now + 2), Fetch.class))
                .as("named a keeper").containsExactly(new Fetch(maker.id, Peer.commit(2)));

        List<Peer> neighbours = List.of(new Peer(), new Peer(), new Peer());
        neighbours.forEach(p -> core.onConnected(p.id, p.hello(now), false, now + 3));
        List<Effect> made = core.onLocalCommit(Peer.commit(3), now + 4);
        List<Inventory> told = new ArrayList<>();
        for (Effect.Send s : only(made, Effect.Send.class)) {
            told.add(Envelopes.open(s.message().getAnnouncement(), Inventory.getDefaultInstance()).record());
        }
        assertThat(told).isNotEmpty().allSatisfy(i -> assertThat(i.getKeepCount()).isEqualTo(2));
        assertThat(told.get(0).getKeepList()).containsExactlyElementsOf(told.get(told.size() - 1).getKeepList());
    }
}
