package dev.rhizome.node.gossip.net;

import static dev.rhizome.node.gossip.net.NameOutOfReachLoopbackTest.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.SilentAddress;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator (or whoever answers at its address) hands out the nodes to join through and a
 * commit's holders; reached over the internet, it may not have volunteers dial loopback, their LAN
 * or a cloud's metadata address, by literal or by a name that resolves there. Real gossip on
 * loopback, with the coordinator's reach given as the node would judge it; the name server is the
 * one thing stood in for.
 */
class CoordinatorReachLoopbackTest {
    @TempDir
    Path dir;

    /** Hosts the node looked up to dial. */
    private final Set<String> looked = ConcurrentHashMap.newKeySet();
    private final PeerResolver dns = new PeerResolver(host -> {
        looked.add(host);
        return host.equals("lan-probe.example")
                ? new InetAddress[] {InetAddress.getByName("127.0.0.1")} : InetAddress.getAllByName(host);
    });

    private static NodeInfo listed(String host, int port) {
        return NodeInfo.newBuilder().setNode(Identity.generate().publicId().toByteString()).setHost(host).setPort(port).build();
    }

    private GossipService node(Path at, Supplier<List<NodeInfo>> coordinatorNodes, Reach coordinatorReach, AtomicInteger asked)
            throws Exception {
        Identity identity = Identity.generate();
        NodeRepository repo = NodeRepository.open(at.resolve("repo.git"));
        return GossipService.start(repo, identity, GossipSettings.defaults("127.0.0.1", 0, "cpu", null).withTick(Duration.ofMillis(100)),
                GossipCore.factory(identity, GossipConfig.defaults(), Wants.everything()), coordinatorNodes, () -> {
                    asked.incrementAndGet();
                    return coordinatorReach;
                }, new TransferLog(at.resolve("transfers.jsonl")), null, System::currentTimeMillis, dns);
    }

    @Test
    void aCoordinatorOnTheInternetNamingLoopbackNodesHasNoneDialled() throws Exception {
        try (SilentAddress probed = new SilentAddress()) {
            int port = probed.port();
            AtomicInteger asked = new AtomicInteger();
            NodeInfo probe = listed("lan-probe.example", port);
            try (GossipService gossip = node(dir.resolve("a"), () -> List.of(listed("127.0.0.1", port), listed("localhost", port),
                    probe, listed("10.0.0.1", port)), Reach.GLOBAL, asked)) {
                // The literals are refused as the answer is learnt; the name is dialled, looked up, and
                // refused there: once that dial has ended, a connection it made would have been accepted.
                await().atMost(Duration.ofSeconds(60)).until(() -> asked.get() > 0 && looked.contains("lan-probe.example")
                        && !gossip.dialling(PublicId.of(probe.getNode())));
                assertThat(probed.accepted()).isZero();

                // A unit's holders, named by that coordinator: not fetched from either.
                List<PeerEndpoint> hints = List.of("127.0.0.1", "lan-probe.example").stream()
                        .map(h -> PeerEndpoint.newBuilder().setNode(Identity.generate().publicId().toByteString()).setHost(h)
                                .setPort(port).build()).toList();
                assertThatThrownBy(() -> gossip.fetchNow("ab".repeat(20), hints, Reach.GLOBAL)).isInstanceOf(FetchException.class);
                assertThat(probed.accepted()).isZero();
            }
        }
    }

    @Test
    void aCoordinatorOnLoopbackMayNameLoopbackNodes() throws Exception {
        try (SilentAddress local = new SilentAddress()) {
            AtomicInteger asked = new AtomicInteger();
            try (GossipService gossip = node(dir.resolve("b"), () -> List.of(listed("lan-probe.example", local.port())),
                    Reach.LOOPBACK, asked)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> local.accepted() > 0);
            }
        }
    }
}
