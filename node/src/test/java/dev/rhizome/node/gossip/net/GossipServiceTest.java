package dev.rhizome.node.gossip.net;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A few real nodes on loopback: links form from a bootstrap list, bundles spread, a restarted node rejoins from disk. */
class GossipServiceTest extends LoopbackTest {
    static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org");
    static final PeerConfig PEER = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(3));

    record Node(Identity identity, NodeRepository repo, GossipService gossip) {
    }

    Node start(String name, Identity identity, boolean listed) throws Exception {
        return start(name, identity, listed, Wants.everything());
    }

    Node start(String name, Identity identity, boolean listed, Wants wants) throws Exception {
        LoopbackNet.Started n = net.start(tmp.resolve(name), identity, wants, PEER, listed);
        return new Node(identity, n.repo(), n.gossip());
    }

    @Test
    void aBundleMadeAtOneNodeReachesAllOthersOnce() throws Exception {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            nodes.add(start("n" + i, Identity.generate(), true));
        }
        byte[] noise = new byte[64 << 10];
        new Random(1).nextBytes(noise);
        String commit = nodes.get(0).repo().commitFiles(null, Map.of("blob.bin", noise), "bundle", AUTHOR);
        nodes.get(0).gossip().onLocalCommit(commit);

        await(() -> nodes.stream().allMatch(n -> n.repo().has(commit)), Duration.ofSeconds(60));

        for (Node n : nodes.subList(1, nodes.size())) {
            assertThat(n.gossip().counters().fetchesStarted()).as("fetches by %s", n.identity().publicId().shortForm())
                    .isEqualTo(1);
        }
    }

    @Test
    void underTheWantsFilterAKeeperIsConfirmedOnceItHasTakenTheWholeBundleFromTheMaker() throws Exception {
        Node maker = start("maker", Identity.generate(), true, Wants.workAndReplicas(1));
        Node keeper = start("keeper", Identity.generate(), true, Wants.workAndReplicas(1));
        await(() -> linked(maker) > 0, Duration.ofSeconds(60));
        String commit = maker.repo().commitFiles(null, Map.of("README.md", "kept".getBytes()), "kept", AUTHOR);
        maker.gossip().onLocalCommit(commit);

        await(() -> keeper.repo().has(commit), Duration.ofSeconds(60));
        // The server's witness reached the core through the driver, and the keeper's announcement came back.
        await(() -> query(maker, commit).contains(keeper.identity().publicId()), Duration.ofSeconds(60));
    }

    private static Set<PublicId> query(Node node, String commit) {
        try {
            return node.gossip().query(p -> ((GossipCore) p).confirmedKeepers(commit));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theWorkFetchTakesPiecesFromEveryHolderItIsGiven() throws Exception {
        Node a = start("a", Identity.generate(), true);
        Node b = start("b", Identity.generate(), true);
        byte[] noise = new byte[(int) (3.5 * (1 << 20))];  // incompressible: four 1 MiB pieces
        new Random(3).nextBytes(noise);
        String commit = a.repo().commitFiles(null, Map.of("weights.bin", noise), "weights", AUTHOR);
        a.gossip().onLocalCommit(commit);
        await(() -> b.repo().has(commit), Duration.ofSeconds(30));
        List<PeerEndpoint> holders = new ArrayList<>();
        for (Node holder : List.of(a, b)) {
            holders.add(PeerEndpoint.newBuilder().setNode(holder.identity().publicId().toByteString())
                    .setHost("127.0.0.1").setPort(holder.gossip().port()).build());
        }
        long aBefore = a.gossip().bytesServed();
        long bBefore = b.gossip().bytesServed();
        net.directory.clear();  // c learns of the holders only from its work's hints
        Node c = start("c", Identity.generate(), false);

        c.gossip().fetchNow(commit, holders);

        assertThat(c.repo().has(commit)).isTrue();
        assertThat(a.gossip().bytesServed() - aBefore).as("bytes a served to c").isPositive();
        assertThat(b.gossip().bytesServed() - bBefore).as("bytes b served to c").isPositive();
        assertThat(c.gossip().counters().fetchesStarted()).isEqualTo(1);
    }

    @Test
    void aRestartedNodeRejoinsFromTheRememberedPeersWithoutABootstrap() throws Exception {
        Node a = start("a", Identity.generate(), true);
        Identity bId = Identity.generate();
        Node b = start("b", bId, false);
        await(() -> linked(b) > 0, Duration.ofSeconds(60));
        b.gossip().close();
        b.repo().close();
        net.open.remove(b.gossip());
        net.open.remove(b.repo());
        net.directory.clear();  // the coordinator is down

        Node again = start("b", bId, false);
        // Generous: under a loaded CI machine a first dial may time out and wait out its backoff.
        // The condition itself, not "some link": a's half-open link to the old b may replace the first
        // new one before it settles.
        await(() -> linkedTo(again, a), Duration.ofSeconds(30));
    }

    private static boolean linkedTo(Node n, Node peer) {
        try {
            return n.gossip().linkedPeers().contains(peer.identity().publicId());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int linked(Node n) {
        try {
            return n.gossip().linkedPeers().size();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aSignedResultSpreadsToEveryNode() throws Exception {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nodes.add(start("r" + i, Identity.generate(), true));
        }
        await(() -> nodes.stream().allMatch(n -> links(n) >= 1), Duration.ofSeconds(60));
        Identity runner = nodes.get(0).identity();
        Result result = Result.newBuilder()
                .setCommit("c".repeat(40)).setMetric(1.9).setRunner(runner.publicId().toByteString())
                .setTimeMs(System.currentTimeMillis()).build();

        nodes.get(0).gossip().announceResult(Envelopes.sign(runner, result));

        await(() -> nodes.subList(1, nodes.size()).stream().allMatch(n -> n.gossip().resultsHeard() == 1),
                Duration.ofSeconds(10));
        assertThat(nodes.get(0).gossip().resultsHeard()).isZero();
    }

    private static int links(Node n) {
        try {
            return n.gossip().linkedPeers().size();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aCopiedHelloCannotPoseAsItsNode() throws Exception {
        Node victim = start("victim", Identity.generate(), false);
        Node real = start("real", Identity.generate(), false);
        // The impostor has the real node's fresh, validly signed hello, but not its key.
        PeerMessage copied = real.gossip().hello().toBuilder().setHello(real.gossip().hello().getHello().toBuilder()
                .setNonce(com.google.protobuf.ByteString.copyFrom(new byte[32]))).build();
        try (Socket impostor = new Socket("127.0.0.1", victim.gossip().port())) {
            impostor.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(impostor.getInputStream());
            DataOutputStream out = new DataOutputStream(impostor.getOutputStream());
            StallingPeer.write(out, copied);
            PeerMessage answer = StallingPeer.read(in);
            assertThat(answer.getHello().getProof().isEmpty()).as("the victim proves its own key").isFalse();

            StallingPeer.write(out, PeerMessage.newBuilder().setHelloProof(
                    HelloProof.newBuilder().setProof(com.google.protobuf.ByteString.copyFrom(new byte[64])))
                    .build());

            assertThat(StallingPeer.read(in)).as("the victim hangs up").isNull();
        }
        assertThat(victim.gossip().linkedPeers()).doesNotContain(real.identity().publicId());
    }

    static void await(BooleanSupplier condition, Duration timeout) {
        org.awaitility.Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(50))
                .until(condition::getAsBoolean);
    }
}
