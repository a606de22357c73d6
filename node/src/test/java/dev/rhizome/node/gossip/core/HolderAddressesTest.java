package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.rate.TokenBucket;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link HolderAddresses#hintedAlongside}, without sockets: which other keys rest with a key whose
 * address proved nothing. Keys the hints name there and reach only by the hint rest with it (a
 * rogue's keys cost nothing to make); a key with a link or a table record of its own there (an
 * honest node whose address a hint borrowed) never does, nor a key hinted at another port or host.
 */
class HolderAddressesTest {
    private static final String SILENT = "203.0.113.9";
    private final GossipConfig config = GossipConfig.defaults();
    private final Peers peers = new Peers(new Connections(),
            new PeerTable(config, NodeInfo.newBuilder().setHost("198.51.100.1").setPort(7000).build()),
            new PeerScores(config), new AddressDials(config));
    private final HolderAddresses addresses = new HolderAddresses(peers);

    private static NodeInfo at(Identity key, String host, int port) {
        return NodeInfo.newBuilder().setNode(key.publicId().toByteString()).setHost(host).setPort(port).setTimeMs(1).build();
    }

    @Test
    void keysHintedOnlyAtADeadAddressRestTogetherButNotOnesKnownThereByTheirOwnRecord() {
        List<Identity> rogue = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            rogue.add(Identity.generate());
        }
        Identity otherPort = Identity.generate();
        Identity otherHost = Identity.generate();
        Identity recorded = Identity.generate();  // its own signed record names the address
        Identity linked = Identity.generate();    // linked, its hello naming the address
        NodeInfo recordedInfo = at(recorded, SILENT, 7000);
        assertThat(peers.table().offer(recorded.publicId(), recordedInfo, Envelopes.sign(recorded, recordedInfo), Reach.PRIVATE,
                id -> false)).isTrue();
        peers.connections().open(linked.publicId(), true, new TokenBucket(10, 10, 0), at(linked, SILENT, 7000),
                new LinkEnd(SILENT, Reach.PRIVATE), 0);

        List<NodeInfo> hints = new ArrayList<>();
        rogue.forEach(k -> hints.add(at(k, SILENT, 7000)));
        hints.add(at(otherPort, SILENT, 7001));
        hints.add(at(otherHost, "203.0.113.10", 7000));
        hints.add(at(recorded, SILENT, 7000));
        hints.add(at(linked, SILENT, 7000));
        assertThat(addresses.hint(hints, Reach.PRIVATE)).hasSize(hints.size());

        PublicId dialled = rogue.get(0).publicId();
        assertThat(addresses.hintedAlongside(dialled))
                .containsExactlyInAnyOrder(rogue.get(1).publicId(), rogue.get(2).publicId(), rogue.get(3).publicId());
        // Any of them dialled: the same set, less itself, and never the honest keys known there.
        assertThat(addresses.hintedAlongside(rogue.get(3).publicId()))
                .containsExactlyInAnyOrder(dialled, rogue.get(1).publicId(), rogue.get(2).publicId());
        // The honest keys' own addresses proved nothing: the rogue keys hinted there rest with them
        // (nothing answers there for anyone), the honest keys not with each other.
        assertThat(addresses.hintedAlongside(recorded.publicId())).containsExactlyInAnyOrderElementsOf(
                rogue.stream().map(Identity::publicId).toList());
        assertThat(addresses.hintedAlongside(otherPort.publicId())).isEmpty();
        assertThat(addresses.hintedAlongside(otherHost.publicId())).isEmpty();
    }

    @Test
    void aKeyBannedOrUnknownHasNothingAlongside() {
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        addresses.hint(List.of(at(a, SILENT, 7000), at(b, SILENT, 7000)), Reach.PRIVATE);
        assertThat(addresses.hintedAlongside(Identity.generate().publicId())).as("a key with no address known").isEmpty();
        addresses.forget(b.publicId());
        assertThat(addresses.hintedAlongside(a.publicId())).as("a banned key's hint is gone").isEmpty();
        assertThat(addresses.hintedAlongside(b.publicId())).isEmpty();
    }

    @Test
    void anAddressNarrowerThanTheSourcesReachIsNotKeptSoRestsNobody() {
        Identity a = Identity.generate();
        Identity b = Identity.generate();
        addresses.hint(List.of(at(a, "127.0.0.1", 7000), at(b, "127.0.0.1", 7000)), Reach.PRIVATE);
        assertThat(addresses.address(a.publicId())).isNull();
        assertThat(addresses.hintedAlongside(a.publicId())).isEmpty();
    }
}
