package dev.rhizome.node.gossip.core;

import static dev.rhizome.node.gossip.core.Effects.only;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Effect.Fetch;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Amplification through fetches: a linked rogue hands on made-up nodes, each with a key of its own
 * (free to make) and all naming one victim's address, and relays an Inventory signed by each,
 * naming commits, so that the node would open a fetch connection to the victim per made-up
 * "holder". An Inventory is taken only from its own signer's link (holders are linked peers, asked
 * at their link's address), so none is fetched, and relaying them is forging (the rogue is cut).
 * On virtual time, through the core.
 */
class GossipFetchAmplificationTest {
    static final String VICTIM = "203.0.113.7";
    long now = 90_000_000;

    @Test
    void inventoriesOfMadeUpHoldersNamingAVictimsAddressLeadToNoFetchAndCutTheirRelay() {
        GossipCore core = new GossipCore(Identity.generate(), NodeInfo.newBuilder().setHost("192.0.2.1").setPort(7000).build(),
                GossipConfig.defaults(), new Random(5), SignatureCheck.envelopes(), Wants.everything());
        core.start(List.of(), now);
        Peer rogue = Peer.connectedTo(core, now);
        List<Fetch> fetches = new ArrayList<>();
        for (int k = 0; k < 50; k++) {
            Identity made = Identity.generate();
            NodeInfo info = NodeInfo.newBuilder().setNode(made.publicId().toByteString()).setHost(VICTIM).setPort(7000)
                    .setTimeMs(now).build();
            fetches.addAll(only(core.onMessage(rogue.id, Peer.announce(Envelopes.sign(made, info)), now), Fetch.class));
            fetches.addAll(only(core.onMessage(rogue.id, Peer.announce(Envelopes.sign(made, Inventory.newBuilder()
                    .setNode(made.publicId().toByteString()).addCommits(Peer.commit(50_000 + k)).setTimeMs(now).build())), now),
                    Fetch.class));
            now += 1_000;
            fetches.addAll(only(core.onTick(now), Fetch.class));
        }

        assertThat(fetches).as("fetches started").isEmpty();
        assertThat(core.isBanned(rogue.id, now)).as("the relay of forged inventories").isTrue();
    }
}
