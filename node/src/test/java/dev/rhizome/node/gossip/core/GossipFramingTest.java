package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Disconnect;
import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Framing: a rogue trying to make an honest node look like a liar or a staller to this one, by
 * relaying or replaying its records, splicing them, or naming it holder of commits it never held.
 * Every offence is charged to the link that carried it, and a "not found" is a lie only for a
 * commit its sayer claimed itself, on its own link: so the honest node pays nothing, stays linked,
 * and what it says itself is still heard. On virtual time, through the core.
 */
class GossipFramingTest {
    final GossipConfig config = GossipConfig.defaults();
    final GossipCore core = new GossipCore(Identity.generate(),
            NodeInfo.newBuilder().setHost("192.0.2.38").setPort(7000).build(), config, new Random(38), SignatureCheck.envelopes());
    long now = 38_000_000;

    List<Effect> send(Peer from, Gossip message) {
        return core.onMessage(from.id, message, now);
    }

    void assertUnharmed(Peer honest) {
        assertThat(core.score(honest.id)).isZero();
        assertThat(core.isBanned(honest.id, now)).isFalse();
        assertThat(core.connectedPeers()).contains(honest.id);
    }

    @Test
    void anHonestNodesRecordsRelayedAndReplayedByARogueNeverCostItAndItsOwnCopyIsStillHeard() {
        Peer honest = Peer.connectedTo(core, now);
        Peer rogue = Peer.connectedTo(core, now);
        SignedEnvelope inventory = honest.inventory(now, Peer.commit(1));
        SignedEnvelope result = honest.result(now, Peer.commit(2));
        SignedEnvelope record = honest.hello(now);

        // Its inventory passed on by the rogue (inventories are never relayed: the rogue pays), its
        // result and record relayed and replayed (genuine, so heard once and free after).
        List<Effect> relayed = new ArrayList<>(send(rogue, Peer.announce(inventory)));
        for (int i = 0; i < 20; i++) {
            relayed.addAll(send(rogue, Peer.announce(result)));
            relayed.addAll(send(rogue, Peer.announce(record)));
        }

        assertThat(only(relayed, Fetch.class)).isEmpty();
        assertThat(core.score(rogue.id)).isEqualTo(-8.0);
        assertUnharmed(honest);
        // The rogue's copy refused did not mark the inventory seen: the honest node's own is acted on.
        assertThat(only(send(honest, Peer.announce(inventory)), Fetch.class))
                .singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(honest.id));
        assertUnharmed(honest);
    }

    @Test
    void splicedCopiesOfAnHonestNodesRecordsCostTheSplicerAndNeverSilenceTheHonestNode() {
        Peer honest = Peer.connectedTo(core, now);
        Peer rogue = Peer.connectedTo(core, now);
        SignedEnvelope inventory = honest.inventory(now, Peer.commit(3));
        // Its bytes under a broken signature; its bytes signed by the rogue; the rogue's signature on
        // its record with its signer kept; its signature over another of its own records' bytes.
        SignedEnvelope broken = Peer.tampered(inventory);
        SignedEnvelope resigned = Envelopes.sign(rogue.identity, Inventory.newBuilder().setNode(honest.id.toByteString())
                .addCommits(Peer.commit(3)).setTimeMs(now).build());
        SignedEnvelope borrowedSignature = inventory.toBuilder().setSignature(resigned.getSignature()).build();
        SignedEnvelope otherPayload = inventory.toBuilder()
                .setPayload(honest.inventory(now, Peer.commit(4)).getPayload()).build();

        List<Effect> spliced = new ArrayList<>();
        for (SignedEnvelope e : List.of(broken, resigned, borrowedSignature, otherPayload)) {
            spliced.addAll(send(rogue, Peer.announce(e)));
        }

        assertThat(only(spliced, Fetch.class)).isEmpty();
        assertThat(core.score(rogue.id)).isEqualTo(-32.0);
        assertThat(only(spliced, Disconnect.class)).singleElement().satisfies(d -> assertThat(d.peer()).isEqualTo(rogue.id));
        assertUnharmed(honest);
        assertThat(only(send(honest, Peer.announce(inventory)), Fetch.class))
                .singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(honest.id));
    }

    /**
     * A rogue unit or coordinator entry names an honest node holder of commits it never held (the
     * work's hints are unverified). Its "not found" to each is the truth, and free however many
     * there are; it is still asked for, and fetched from, what it announces itself.
     */
    @Test
    void hintsNamingAnHonestNodeHolderOfCommitsItNeverHeldNeverCostIt() {
        Peer honest = Peer.connectedTo(core, now);
        List<Fetch> asked = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            asked.addAll(only(core.wantFrom(Peer.commit(100 + i), List.of(honest.info), now), Fetch.class));
        }
        int notFound = 0;
        while (!asked.isEmpty()) {
            Fetch f = asked.remove(0);
            assertThat(f.from()).isEqualTo(honest.id);
            notFound++;
            now += 100;
            asked.addAll(only(core.onFetchFailed(f.from(), f.commit(), FetchFailure.NOT_FOUND, now), Fetch.class));
        }
        now += GoneClaims.GRACE_MS + 1;
        core.onTick(now);

        assertThat(notFound).isEqualTo(40);
        assertUnharmed(honest);
        assertThat(only(honest.announces(core, now, Peer.commit(5)), Fetch.class))
                .singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(honest.id));
    }

    /**
     * The same for a lie about who announced: only the holder's own link carries its claims, so a
     * rogue relaying the honest node's inventory (refused) makes no claim of it, and the honest node's
     * "not found" for a commit it never announced costs it nothing while the rogue that named it pays.
     */
    @Test
    void aRogueAnnouncingAnHonestNodeAsHolderMakesNoClaimOfIt() {
        Peer honest = Peer.connectedTo(core, now);
        Peer rogue = Peer.connectedTo(core, now);
        SignedEnvelope forgedClaim = Envelopes.sign(rogue.identity, Inventory.newBuilder().setNode(honest.id.toByteString())
                .addCommits(Peer.commit(6)).setTimeMs(now).build());
        send(rogue, Peer.announce(forgedClaim));
        List<Fetch> fetches = only(core.wantFrom(Peer.commit(6), List.of(honest.info), now), Fetch.class);
        assertThat(fetches).singleElement().satisfies(f -> assertThat(f.from()).isEqualTo(honest.id));

        core.onFetchFailed(honest.id, Peer.commit(6), FetchFailure.NOT_FOUND, now);
        now += GoneClaims.GRACE_MS + 1;
        core.onTick(now);

        assertThat(core.score(rogue.id)).isEqualTo(-8.0);
        assertUnharmed(honest);
    }
}
