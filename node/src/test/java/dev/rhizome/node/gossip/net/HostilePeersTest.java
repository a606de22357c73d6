package dev.rhizome.node.gossip.net;

import dev.rhizome.node.gossip.core.PeerProtocol;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.SignatureCheck;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Twenty real nodes on loopback, three of them hostile: a forger, a staller and a flooder. Every
 * honest bundle reaches every honest node; the forger and the flooder are banned and cut off by
 * every honest neighbour; the staller, asked only as a fallback holder, is marked down by whoever
 * asked it; no honest node bans another.
 */
class HostilePeersTest {
    static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org");
    /** Short stalls, so a staller is caught in seconds rather than minutes. */
    static final PeerConfig PEER = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(5));
    static final int HONEST = 17;
    static final int BUNDLES = 5;

    @TempDir
    Path tmp;

    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    final List<AutoCloseable> open = new ArrayList<>();
    final Random random = new Random(11);

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    record Node(Identity identity, NodeRepository repo, GossipService gossip) {
    }

    @Test
    void honestBundlesReachEveryHonestNodeAndTheHostileOnesAreBanned() throws Exception {
        // The default scores and thresholds; only stalls are caught after 5 s rather than 10, and redials are quick.
        GossipConfig d = GossipConfig.defaults();
        GossipConfig config = new GossipConfig(d.degree(), d.maxDegree(), d.maxKnownPeers(), d.seenTtl(), d.maxSeen(),
                d.maxClockSkew(), Duration.ofSeconds(5), d.maxCommitsPerInventory(), d.announcementsPerSecond(),
                d.announcementBurst(), d.disconnectScore(), d.banScore(), d.banDuration(), Duration.ofMillis(200),
                Duration.ofSeconds(2));

        StallingPeer staller = new StallingPeer();
        open.add(staller);
        List<NodeInfo> directory = new ArrayList<>();
        Node forger = start("forger", id -> self -> HostileProtocols.forger(id, self, Identity.generate().publicId()), List.of());
        Node flooder = start("flooder", id -> self -> HostileProtocols.flooder(id, self), List.of());
        directory.add(info(forger));
        directory.add(staller.info());
        directory.add(info(flooder));

        List<Node> honest = new ArrayList<>();
        for (int i = 0; i < HONEST; i++) {
            // Each honest node knows the three hostile ones and a few honest ones started before it.
            List<NodeInfo> bootstrap = new ArrayList<>(directory.subList(0, 3));
            for (int k = 0; k < 3 && directory.size() > 3; k++) {
                bootstrap.add(directory.get(3 + random.nextInt(directory.size() - 3)));
            }
            long seed = i;
            Node node = start("honest-" + i, id -> self -> new GossipCore(id, self, config, new Random(seed),
                    SignatureCheck.envelopes()), bootstrap);
            honest.add(node);
            directory.add(info(node));
        }
        GossipServiceTest.await(() -> honest.stream().allMatch(n -> links(n) >= 2), Duration.ofSeconds(60));

        List<String> bundles = new ArrayList<>();
        for (int b = 0; b < BUNDLES; b++) {
            Node at = honest.get(random.nextInt(HONEST));
            byte[] noise = new byte[16 << 10];
            random.nextBytes(noise);
            String commit = at.repo().commitFiles(null, Map.of("bundle.bin", noise), "bundle " + b, AUTHOR);
            bundles.add(commit);
            at.gossip().onLocalCommit(commit);
        }

        GossipServiceTest.await(() -> honest.stream().allMatch(n -> bundles.stream().allMatch(n.repo()::has)),
                Duration.ofSeconds(20));
        List<PublicId> toEveryone = List.of(forger.identity().publicId(), flooder.identity().publicId());
        GossipServiceTest.await(() -> toEveryone.stream().allMatch(h -> bannedBy(honest, h) > 0), Duration.ofSeconds(60));
        // The staller's claims come after the real holder's announcement, so it is asked only as a fallback, if
        // ever: it costs the network nothing unless asked, and whoever asks it marks it down.
        if (staller.bundleRequests() > 0) {
            GossipServiceTest.await(() -> honest.stream().anyMatch(n -> scoreAt(n, staller.identity.publicId()) < 0),
                    Duration.ofSeconds(10));
        }
        // The forger and the flooder misbehave towards every neighbour, so every neighbour cuts them off.
        GossipServiceTest.await(() -> honest.stream().noneMatch(n -> linkedToAny(n, toEveryone)), Duration.ofSeconds(60));

        for (Node n : honest) {
            for (Node other : honest) {
                boolean banned = n.gossip().query(p -> p.isBanned(other.identity().publicId(), System.currentTimeMillis()));
                assertThat(banned).as("an honest node banned by another").isFalse();
            }
        }
    }

    private static boolean linkedToAny(Node n, List<PublicId> peers) {
        try {
            return peers.stream().anyMatch(n.gossip().linkedPeers()::contains);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Node start(String name, Function<Identity, Function<NodeInfo, PeerProtocol>> protocol, List<NodeInfo> bootstrap)
            throws Exception {
        Identity identity = Identity.generate();
        Path dir = tmp.resolve(name);
        NodeRepository repo = NodeRepository.open(dir.resolve("repo.git"));
        open.add(repo);
        GossipSettings settings = GossipSettings.defaults("127.0.0.1", 0, "cpu", null).withPeer(PEER).withTick(Duration.ofMillis(100));
        List<NodeInfo> known = List.copyOf(bootstrap);
        GossipService gossip = GossipService.start(repo, identity, settings, protocol.apply(identity), () -> known,
                new TransferLog(dir.resolve("transfers.jsonl")), group);
        open.add(gossip);
        return new Node(identity, repo, gossip);
    }

    private static NodeInfo info(Node node) {
        return NodeInfo.newBuilder().setNode(node.identity().publicId().toByteString()).setHost("127.0.0.1")
                .setPort(node.gossip().port()).build();
    }

    private static int links(Node n) {
        try {
            return n.gossip().linkedPeers().size();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double scoreAt(Node n, PublicId peer) {
        try {
            return n.gossip().query(p -> ((GossipCore) p).score(peer));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long bannedBy(List<Node> honest, PublicId hostile) {
        return honest.stream().filter(n -> {
            try {
                return n.gossip().query(p -> p.isBanned(hostile, System.currentTimeMillis()));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }).count();
    }
}
