package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Dial;
import dev.rhizome.node.gossip.core.Effect.Send;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchange;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Made-up node ids (free to make) whose signed NodeInfos all name one victim's address: the core
 * must not dial the victim once per id, hand the ids on, or let them crowd out an honest peer.
 * Virtual time; dials are answered as failed, as a victim that runs no node answers, or as reached
 * by another key, as a victim running a node of its own answers.
 */
class GossipReflectionTest {
    static final String VICTIM_HOST = "198.51.100.7";
    static final int VICTIM_PORT = 443;

    final GossipConfig config = GossipConfig.defaults();
    final Identity us = Identity.generate();
    final GossipCore core = new GossipCore(us,
            NodeInfo.newBuilder().setHost("192.0.2.9").setPort(7000).build(), config, new Random(1), SignatureCheck.envelopes());
    long now = 10_000_000;

    static SignedEnvelope madeUp(String host, int port, long now) {
        Identity made = Identity.generate();
        return Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString()).setHost(host).setPort(port)
                .setTimeMs(now).build());
    }

    static NodeInfo nodeInfo(SignedEnvelope envelope) {
        try {
            return NodeInfo.parseFrom(envelope.getPayload());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Made-up ids naming this node's own address: a dial there reaches this node, which answers as
     * itself, so each one cost a dial and a handshake on both of our ends, and, relayed, had our
     * neighbours dial us under ids not ours. They teach nothing and are dropped, at no cost to the
     * peer that passed them on (an honest node may hold a record of whoever had our address before).
     */
    @Test
    void recordsNamingOurOwnAddressAreNeitherKeptDialledRelayedNorHandedOn() {
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        List<Effect> effects = new ArrayList<>();
        PeerExchange.Builder exchange = PeerExchange.newBuilder();
        for (int i = 0; i < 20; i++) {
            effects.addAll(core.onMessage(rogue.id, Peer.announce(madeUp("192.0.2.9", 7000, now)), now));
            exchange.addNodes(madeUp("192.0.2.9", 7000, now));
        }
        effects.addAll(core.onMessage(rogue.id, Gossip.newBuilder().setPeerExchange(exchange).build(), now));
        SignedEnvelope elsewhere = madeUp("203.0.113.5", 7000, now);
        effects.addAll(core.onMessage(rogue.id, Peer.announce(elsewhere), now));
        for (int step = 0; step < 100; step++) {
            now += 100;
            effects.addAll(core.onTick(now));
        }

        assertThat(only(effects, Dial.class)).as("dials").noneMatch(d -> d.peer().getHost().equalsIgnoreCase("192.0.2.9"))
                .anyMatch(d -> d.peer().getHost().equals("203.0.113.5"));
        assertThat(only(effects, Send.class)).as("relays to the honest neighbour (our own record aside)")
                .filteredOn(s -> s.to().equals(honest.id) && s.message().hasAnnouncement()
                        && !s.message().getAnnouncement().getSigner().equals(us.publicId().toByteString()))
                .isNotEmpty()
                .noneMatch(s -> nodeInfo(s.message().getAnnouncement()).getHost().equalsIgnoreCase("192.0.2.9"));
        List<Effect> answer = core.onMessage(honest.id, Gossip.newBuilder()
                .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(32)).build(), now);
        assertThat(only(answer, Send.class).get(0).message().getPeerExchange().getNodesList())
                .filteredOn(n -> !n.getSigner().equals(us.publicId().toByteString()))
                .noneMatch(n -> nodeInfo(n).getHost().equalsIgnoreCase("192.0.2.9"));
        assertThat(core.score(rogue.id)).as("no cost to the peer that passed them on").isZero();
    }

    @Test
    void madeUpIdsNamingOneAddressAreDialledThereOneAtATimeWithTheAddresssBackoffAndNotHandedOn() {
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        List<Effect> effects = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            effects.addAll(core.onMessage(rogue.id, Peer.announce(madeUp(VICTIM_HOST, VICTIM_PORT, now)), now));
        }
        SignedEnvelope elsewhere = madeUp("203.0.113.5", 7000, now);
        effects.addAll(core.onMessage(rogue.id, Peer.announce(elsewhere), now));

        // Relayed to the honest neighbour: the first id naming the victim, and the one elsewhere; no more.
        long relayedToVictim = only(effects, Send.class).stream()
                .filter(s -> s.to().equals(honest.id) && s.message().hasAnnouncement())
                .map(s -> nodeInfo(s.message().getAnnouncement()))
                .filter(info -> info.getHost().equals(VICTIM_HOST)).count();
        assertThat(relayedToVictim).as("NodeInfos naming the victim relayed").isEqualTo(1);
        // The table keeps at most two ids for one address, and a peer exchange hands on one of them.
        assertThat(core.stats().peerTableSize()).isLessThanOrEqualTo(2 + PeerTable.MAX_IDS_PER_ADDRESS + 1);

        // A minute of virtual time; every dial fails a moment after it starts.
        int victimDials = 0;
        int maxInFlight = 0;
        Set<PublicId> inFlight = new HashSet<>();
        boolean elsewhereDialled = false;
        for (int step = 0; step < 600; step++) {
            for (Dial d : only(effects, Dial.class)) {
                if (d.peer().getHost().equals(VICTIM_HOST)) {
                    victimDials++;
                    inFlight.add(PublicId.of(d.peer().getNode()));
                    maxInFlight = Math.max(maxInFlight, inFlight.size());
                } else if (d.peer().getNode().equals(elsewhere.getSigner())) {
                    elsewhereDialled = true;
                }
            }
            effects = new ArrayList<>();
            now += 100;
            for (PublicId id : List.copyOf(inFlight)) {
                inFlight.remove(id);
                effects.addAll(core.onDialFailed(id, now));
            }
            effects.addAll(core.onTick(now));
        }
        assertThat(maxInFlight).as("dials in flight to the victim at once").isEqualTo(1);
        // Backoff per address: 1, 2, 4 ... 60 s (half of it to all of it with jitter) over a minute.
        assertThat(victimDials).as("dials to the victim in a minute").isLessThanOrEqualTo(10);
        assertThat(elsewhereDialled).as("a peer at another address is still dialled").isTrue();

        List<Effect> answer = core.onMessage(honest.id, Gossip.newBuilder()
                .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(32)).build(), now);
        PeerExchange exchange = only(answer, Send.class).get(0).message().getPeerExchange();
        long handedOn = exchange.getNodesList().stream()
                .map(GossipReflectionTest::nodeInfo)
                .filter(info -> info.getHost().equals(VICTIM_HOST)).count();
        assertThat(handedOn).as("records naming the victim in a peer exchange").isEqualTo(1);
    }

    @Test
    void madeUpIdsOnManyPortsOfOneHostAreDialledAFewAtATimeAndNotRelayedOnceTheHostsDialsFail() {
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        List<Effect> effects = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            effects.addAll(core.onMessage(rogue.id, Peer.announce(madeUp(VICTIM_HOST, 1000 + i, now)), now));
        }
        int victimDials = 0;
        int maxInFlight = 0;
        Set<PublicId> inFlight = new HashSet<>();
        for (int step = 0; step < 600; step++) {
            for (Dial d : only(effects, Dial.class)) {
                if (d.peer().getHost().equals(VICTIM_HOST)) {
                    victimDials++;
                    inFlight.add(PublicId.of(d.peer().getNode()));
                    maxInFlight = Math.max(maxInFlight, inFlight.size());
                }
            }
            effects = new ArrayList<>();
            now += 100;
            for (PublicId id : List.copyOf(inFlight)) {
                inFlight.remove(id);
                effects.addAll(core.onDialFailed(id, now));
            }
            effects.addAll(core.onTick(now));
        }
        assertThat(maxInFlight).as("dials in flight to the victim's host at once").isEqualTo(AddressDials.MAX_IN_FLIGHT_PER_HOST);
        // Without the host's backoff: the whole degree at once, each id every few seconds (hundreds).
        assertThat(victimDials).as("dials to the victim's host in a minute").isLessThanOrEqualTo(60);

        List<Effect> late = core.onMessage(rogue.id, Peer.announce(madeUp(VICTIM_HOST, 5000, now)), now);
        assertThat(only(late, Send.class)).as("a new id on the failing host relayed")
                .noneMatch(s -> s.to().equals(honest.id) && s.message().hasAnnouncement());
    }

    /**
     * A rogue owning a wildcard domain names a new host per made-up id ({@code v1.wild.example},
     * {@code v2.wild.example} ...), every one resolving to its victim: counted by name, each was a
     * host of its own, dialled with the whole degree at once. Names count by their domain (the last
     * two labels) in the per-host bounds, as one host's many ports do.
     */
    @Test
    void madeUpIdsNamingManyNamesUnderOneDomainAreDialledAFewAtATimeAndNotRelayedOnceTheirDialsFail() {
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        List<Effect> effects = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            effects.addAll(core.onMessage(rogue.id, Peer.announce(madeUp("v" + i + ".Wild.example", 7000, now)), now));
        }
        int victimDials = 0;
        int maxInFlight = 0;
        Set<PublicId> inFlight = new HashSet<>();
        for (int step = 0; step < 600; step++) {
            for (Dial d : only(effects, Dial.class)) {
                if (d.peer().getHost().toLowerCase(Locale.ROOT).endsWith(".wild.example")) {
                    victimDials++;
                    inFlight.add(PublicId.of(d.peer().getNode()));
                    maxInFlight = Math.max(maxInFlight, inFlight.size());
                }
            }
            effects = new ArrayList<>();
            now += 100;
            for (PublicId id : List.copyOf(inFlight)) {
                inFlight.remove(id);
                effects.addAll(core.onDialFailed(id, now));
            }
            effects.addAll(core.onTick(now));
        }
        assertThat(maxInFlight).as("dials in flight under the domain at once").isEqualTo(AddressDials.MAX_IN_FLIGHT_PER_HOST);
        assertThat(victimDials).as("dials under the domain in a minute").isLessThanOrEqualTo(60);
        List<Effect> late = core.onMessage(rogue.id, Peer.announce(madeUp("late.wild.example.", 7000, now)), now);
        assertThat(only(late, Send.class)).as("a new name under the failing domain relayed")
                .noneMatch(s -> s.to().equals(honest.id) && s.message().hasAnnouncement());
    }

    @Test
    void anIdThatProvedItsAddressKeepsItAndMadeUpIdsThereAreNeitherDialledNorRelayed() {
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        // A real node at the victim's address, learnt first and dialled successfully.
        Peer owner = new Peer();
        NodeInfo ownerInfo = owner.info.toBuilder().setHost(VICTIM_HOST).setPort(VICTIM_PORT).build();
        List<Effect> effects = new ArrayList<>(core.learn(List.of(ownerInfo), now));
        effects.addAll(core.onTick(now += 1_000));
        assertThat(only(effects, Dial.class)).extracting(Dial::peer).contains(ownerInfo);
        core.onConnected(owner.id, Envelopes.sign(owner.identity, ownerInfo.toBuilder().setTimeMs(now).build()), true, now);
        core.onDisconnected(owner.id, now += 100); // its link drops; it still owns the address

        effects.clear();
        for (int i = 0; i < 50; i++) {
            effects.addAll(core.onMessage(rogue.id, Peer.announce(madeUp(VICTIM_HOST, VICTIM_PORT, now)), now));
        }
        assertThat(only(effects, Send.class)).as("made-up ids at an owned address relayed")
                .noneMatch(s -> s.to().equals(honest.id) && s.message().hasAnnouncement());
        for (int step = 0; step < 100; step++) {
            effects.addAll(core.onTick(now += 100));
        }
        assertThat(only(effects, Dial.class)).as("dials to the owned address")
                .allMatch(d -> d.peer().getNode().equals(owner.id.toByteString()));
    }
    @Test
    void madeUpIdsNamingALiveNodesAddressCostItOneHandshakeAndItsOwnRecordIsStillDialledAndRelayed() {
        Peer rogue = Peer.connectedTo(core, now);
        Peer honest = Peer.connectedTo(core, now);
        // A live node at the victim's address, not known here yet: it answers every dial there as itself.
        Peer owner = new Peer();
        NodeInfo ownerInfo = owner.info.toBuilder().setHost(VICTIM_HOST).setPort(VICTIM_PORT).build();

        // A minute of a fresh made-up id there every 100 ms; each dial is answered at once by the owner's key.
        int madeUpDials = 0;
        List<Effect> effects = new ArrayList<>();
        for (int step = 0; step < 600; step++) {
            now += 100;
            effects.addAll(core.onMessage(rogue.id, Peer.announce(madeUp(VICTIM_HOST, VICTIM_PORT, now)), now));
            effects.addAll(core.onTick(now));
            List<Dial> dials = only(effects, Dial.class);
            effects = new ArrayList<>();
            for (Dial d : dials) {
                if (d.peer().getHost().equals(VICTIM_HOST)) {
                    madeUpDials++;
                    effects.addAll(core.onDialAnsweredByAnother(PublicId.of(d.peer().getNode()), owner.id, now));
                }
            }
        }
        // The first answer proved the address is the owner's: no id but the owner's is dialled there
        // again (each such dial cost the owner a signature). Counted as failed dials, they went on
        // every 1, 2, 4 ... s, a handshake at the victim each.
        assertThat(madeUpDials).as("dials of made-up ids at a live node's address in a minute").isEqualTo(1);

        // The owner's own record then comes: the address was never backed off nor its host failed,
        // so it is relayed to the neighbour and dialled within the redial base.
        SignedEnvelope ownerRecord = Envelopes.sign(owner.identity, ownerInfo.toBuilder().setTimeMs(now).build());
        effects = new ArrayList<>(core.onMessage(honest.id, Peer.announce(ownerRecord), now));
        assertThat(only(effects, Send.class)).as("the owner's record relayed")
                .anyMatch(s -> s.to().equals(rogue.id) && s.message().hasAnnouncement()
                        && s.message().getAnnouncement().getSigner().equals(owner.id.toByteString()));
        for (long until = now + config.redialBase().toMillis() + 1_000; now < until; ) {
            effects.addAll(core.onTick(now += 100));
        }
        assertThat(only(effects, Dial.class)).as("dials after the owner's record").extracting(d -> d.peer().getNode())
                .containsExactly(owner.id.toByteString());
    }

    /**
     * Identity churn on the dialling side: an address that answers each dial under a fresh key, its
     * rogue telling of that key's record so the new owner is the next id dialled there. Each answer
     * cleared the address's failures (an answer by another key is no failed dial, so that made-up
     * ids naming a live node cost it nothing), and it was dialled again at the base pace, a
     * handshake each and never a link. The owner itself answering as another is paced as a failure.
     */
    @Test
    void anAddressAnsweringEachDialUnderAFreshKeyIsDialledAtAGrowingBackoff() {
        Peer rogue = Peer.connectedTo(core, now);
        String host = "203.0.113.5";
        int port = 7000;
        List<Effect> effects = new ArrayList<>(core.onMessage(rogue.id, Peer.announce(madeUp(host, port, now)), now));
        int dials = 0;
        long minute = now + 60_000;
        while (now < minute) {
            now += 100;
            effects.addAll(core.onTick(now));
            List<Dial> dialled = only(effects, Dial.class);
            effects = new ArrayList<>();
            for (Dial d : dialled) {
                if (d.peer().getHost().equals(host)) {
                    dials++;
                    SignedEnvelope fresh = madeUp(host, port, now);
                    effects.addAll(core.onDialAnsweredByAnother(PublicId.of(d.peer().getNode()), PublicId.of(fresh.getSigner()), now));
                    effects.addAll(core.onMessage(rogue.id, Peer.announce(fresh), now));
                }
            }
        }
        // Waits of at least 0.5, 1, 2, 4, 8, 16 s after the owner's first change of key fill the minute
        // by the 8th dial; at the base pace it was about one a second.
        assertThat(dials).as("dials in a minute of an address answering under a fresh key each time").isBetween(3, 9);
    }
}
