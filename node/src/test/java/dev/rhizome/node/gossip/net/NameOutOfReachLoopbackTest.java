package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.SilentAddress;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.PeerAddressing;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host name's reach is known only when it is looked up. A peer record naming
 * {@code lan-probe.example} (its suffix says: the internet) whose name resolves to loopback, the
 * LAN or a cloud's metadata address had volunteers connect there: a rogue could have them probe
 * their own network by name, or rebind a name they checked once. The name is looked up at each
 * dial, off the core thread, and dialled only at an address no narrower than the link it was
 * learnt over. Real gossip on loopback; the name server is the one thing stood in for (a test
 * cannot make a public name resolve to loopback), and localhost, resolved for real, still dials.
 */
class NameOutOfReachLoopbackTest {
    @TempDir
    Path dir;

    static SignedEnvelope record(String host, int port) {
        Identity id = Identity.generate();
        return Envelopes.sign(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString()).setHost(host).setPort(port)
                .setTimeMs(System.currentTimeMillis()).build());
    }

    @Test
    void aRememberedNameThatResolvesToLoopbackIsNotDialledWhileLocalhostStillIs() throws Exception {
        Set<String> looked = ConcurrentHashMap.newKeySet();
        PeerResolver dns = new PeerResolver(host -> {
            looked.add(host);
            return host.equals("lan-probe.example") ? new InetAddress[] {InetAddress.getByName("127.0.0.1")}
                    : InetAddress.getAllByName(host);
        });
        try (SilentAddress probed = new SilentAddress(); SilentAddress local = new SilentAddress()) {
            SignedEnvelope probe = record("lan-probe.example", probed.port());
            new KnownPeers(dir.resolve("peers.bin")).save(List.of(probe,
                    record("localhost", local.port())));
            Identity identity = Identity.generate();
            try (NodeRepository repo = NodeRepository.open(dir.resolve("repo.git"));
                 GossipService gossip = GossipService.start(repo, identity,
                         GossipSettings.defaults("127.0.0.1", 0, "cpu", dir.resolve("peers.bin")).withTick(Duration.ofMillis(100)),
                         GossipCore.factory(identity, GossipConfig.defaults(), Wants.everything()), List::of,
                         new TransferLog(dir.resolve("transfers.jsonl")), null, System::currentTimeMillis, dns)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> local.accepted() > 0 && looked.contains("lan-probe.example"));
                // The probe's dial, were it made, follows its look-up on the same thread at once, and ends
                // (up, failed, or timed out in its handshake) only after the probe accepted it.
                await().atMost(Duration.ofSeconds(60)).until(() -> !gossip.dialling(PublicId.of(probe.getSigner())));
                assertThat(probed.accepted()).isZero();
            }
        }
    }

    @Test
    void theResolverRefusesEveryAddressNarrowerThanTheLinkAndKeepsTheOnesWithin() throws Exception {
        NodeInfo localhost = NodeInfo.newBuilder().setHost("localhost").setPort(7000).build();
        assertThatThrownBy(() -> PeerResolver.SYSTEM.resolve(new PeerAddressing(localhost, Reach.GLOBAL)))
                .isInstanceOf(UnknownHostException.class).hasMessageContaining("localhost resolves to")
                .hasMessageContaining("LOOPBACK").hasMessageContaining("GLOBAL link");
        assertThat(PeerResolver.SYSTEM.resolve(new PeerAddressing(localhost, Reach.LOOPBACK)).getAddress().isLoopbackAddress())
                .isTrue();
        NodeInfo named = NodeInfo.newBuilder().setHost("mixed.example").setPort(7000).build();
        PeerResolver mixed = new PeerResolver(host -> new InetAddress[] {InetAddress.getByName("169.254.169.254"),
                InetAddress.getByName("10.1.2.3"), InetAddress.getByName("93.184.216.34")});
        assertThat(mixed.resolve(new PeerAddressing(named, Reach.GLOBAL)).getAddress().getHostAddress())
                .as("only the public address is dialled").isEqualTo("93.184.216.34");
        assertThat(mixed.resolve(new PeerAddressing(named, Reach.PRIVATE)).getAddress().getHostAddress()).isEqualTo("10.1.2.3");
        PeerResolver metadata = new PeerResolver(host -> new InetAddress[] {InetAddress.getByName("169.254.169.254")});
        assertThatThrownBy(() -> metadata.resolve(new PeerAddressing(named, Reach.PRIVATE)))
                .hasMessageContaining("169.254.169.254 (LINK_LOCAL)");
    }
}
