package dev.rhizome.node.gossip.net;

import static dev.rhizome.node.gossip.net.GossipServiceTest.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * A node whose wall clock is two hours off, on loopback, its clock injected: it links with a node
 * whose clock is right (each handshake admits the other on its proof over a nonce it chose, not on
 * its hello's date), the right node counts its skew, and a bundle goes each way. Before round 27
 * each side refused the other's hello by its date. A hello captured on the wire and sent again on
 * a new connection is still refused.
 */
class SkewedClockLinkLoopbackTest extends RogueLoopbackTest {
    static final long HOURS_2 = SteppedWallClockLoopbackTest.HOURS_2;

    @Test
    void aNodeTwoHoursAheadLinksIsReportedAndBundlesGoBothWays() throws Exception {
        linksAndExchangesBundlesWithAClockOff(HOURS_2);
    }

    @Test
    void aNodeTwoHoursBehindLinksAndBundlesGoBothWays() throws Exception {
        linksAndExchangesBundlesWithAClockOff(-HOURS_2);
    }

    /**
     * What each node holds spreads by gossip alone, no hint: each judges the other's Inventories by
     * the other's clock as its proven handshake measured it. Before round 28 every one was refused
     * by its date, so the skewed node's commits reached others only through the coordinator's hints.
     */
    @Test
    void aNodeTwoHoursAheadsCommitsSpreadByGossipAndItTakesOthers() throws Exception {
        spreadsByGossipWithAClockOff(HOURS_2);
    }

    @Test
    void aNodeTwoHoursBehindsCommitsSpreadByGossipAndItTakesOthers() throws Exception {
        spreadsByGossipWithAClockOff(-HOURS_2);
    }

    private void spreadsByGossipWithAClockOff(long offsetMs) throws Exception {
        SimpleMeterRegistry rightMeters = new SimpleMeterRegistry();
        Started right = startOn(tmp.resolve("right"), System::currentTimeMillis, List::of, rightMeters);
        Started skewed = startOn(tmp.resolve("skewed"), () -> System.currentTimeMillis() + offsetMs,
                () -> List.of(info(right)), new SimpleMeterRegistry());
        await(() -> right.linkedTo(skewed.id()) && skewed.linkedTo(right.id()), SteppedWallClockLoopbackTest.WAIT.now());

        String made = skewed.commitAndAnnounce("made on a clock two hours off, announced");
        await(() -> right.repo().has(made), SteppedWallClockLoopbackTest.WAIT.now());
        String back = right.commitAndAnnounce("made on a right clock, announced");
        await(() -> skewed.repo().has(back), SteppedWallClockLoopbackTest.WAIT.now());

        assertThat(rightMeters.counter("rhizome_node_gossip_clock_skews").count()).as("still reported").isPositive();
        assertThat(right.scoreOf(skewed.id())).isGreaterThanOrEqualTo(0);
        assertThat(skewed.scoreOf(right.id())).isGreaterThanOrEqualTo(0);
    }

    /**
     * A Result the skewed node signed, dated by its clock, is heard by the node it is linked to (its
     * own record on its proven link, judged by its clock as measured). Before round 29 it was refused
     * by its date and reported as a skew.
     */
    @Test
    void aResultOfANodeTwoHoursAheadIsHeardByItsLinkedPeer() throws Exception {
        Started right = startOn(tmp.resolve("right"), System::currentTimeMillis, List::of, new SimpleMeterRegistry());
        Started skewed = startOn(tmp.resolve("skewed"), () -> System.currentTimeMillis() + HOURS_2,
                () -> List.of(info(right)), new SimpleMeterRegistry());
        await(() -> right.linkedTo(skewed.id()) && skewed.linkedTo(right.id()), SteppedWallClockLoopbackTest.WAIT.now());

        skewed.gossip().announceResult(Envelopes.sign(skewed.identity(), Result.newBuilder().setCommit("c".repeat(40))
                .setRunner(skewed.id().toByteString()).setTimeMs(System.currentTimeMillis() + HOURS_2).build()));

        await(() -> right.gossip().resultsHeard() == 1, SteppedWallClockLoopbackTest.WAIT.now());
        assertThat(right.scoreOf(skewed.id())).isGreaterThanOrEqualTo(0);
    }

    private void linksAndExchangesBundlesWithAClockOff(long offsetMs) throws Exception {
        SimpleMeterRegistry rightMeters = new SimpleMeterRegistry();
        Started right = startOn(tmp.resolve("right"), System::currentTimeMillis, List::of, rightMeters);
        Started skewed = startOn(tmp.resolve("skewed"), () -> System.currentTimeMillis() + offsetMs,
                () -> List.of(info(right)), new SimpleMeterRegistry());

        await(() -> right.linkedTo(skewed.id()) && skewed.linkedTo(right.id()), SteppedWallClockLoopbackTest.WAIT.now());
        if (offsetMs > 0) {
            // Its own record, dated two hours ahead of the right node's clock: counted, never scored.
            await(() -> rightMeters.counter("rhizome_node_gossip_clock_skews").count() > 0,
                    SteppedWallClockLoopbackTest.WAIT.now());
        }

        String made = skewed.commitAndAnnounce("made on a clock two hours off");
        right.gossip().fetchNow(made, List.of(endpoint(skewed)));
        assertThat(right.repo().has(made)).as("a bundle from the skewed node").isTrue();
        String back = right.commitAndAnnounce("made on a right clock");
        skewed.gossip().fetchNow(back, List.of(endpoint(right)));
        assertThat(skewed.repo().has(back)).as("a bundle to the skewed node").isTrue();

        assertThat(right.linkedTo(skewed.id()) && skewed.linkedTo(right.id())).as("still linked").isTrue();
        assertThat(right.scoreOf(skewed.id())).as("a wrong clock is not held against it").isGreaterThanOrEqualTo(0);
        assertThat(skewed.scoreOf(right.id())).isGreaterThanOrEqualTo(0);
    }

    /**
     * The hello's date no longer stands between a replayer and a link, so this is what does: a real
     * node's side of a handshake, captured between it and its peer, sent again on a new connection
     * to that peer is refused at the proof (the peer chose a new nonce), and the real link stays.
     */
    @Test
    void aHandshakeCapturedOnTheWireAndSentAgainOnANewConnectionIsRefused() throws Exception {
        Started right = startOn(tmp.resolve("right"), System::currentTimeMillis, List::of, new SimpleMeterRegistry());
        try (Recorder recorder = new Recorder(right.gossip().port())) {
            NodeInfo viaRecorder = info(right).toBuilder().setPort(recorder.port()).build();
            Started skewed = startOn(tmp.resolve("skewed"), () -> System.currentTimeMillis() + HOURS_2,
                    () -> List.of(viaRecorder), new SimpleMeterRegistry());
            await(() -> right.linkedTo(skewed.id()) && skewed.linkedTo(right.id()), SteppedWallClockLoopbackTest.WAIT.now());
            byte[] captured = recorder.firstDialersBytes();

            logged.start();
            nodeLogs.addAppender(logged);
            // As the skewed node sent them: its hello, then, once answered, its proof (over the old nonce).
            DataInputStream frames = new DataInputStream(new ByteArrayInputStream(captured));
            PeerMessage hello = PeerMessage.parseFrom(frames.readNBytes(frames.readInt()));
            PeerMessage proof = PeerMessage.parseFrom(frames.readNBytes(frames.readInt()));
            assertThat(hello.hasHello() && proof.hasHelloProof()).as("captured: a hello, then a proof").isTrue();
            try (Socket replay = new Socket("127.0.0.1", right.gossip().port())) {
                replay.setSoTimeout(30_000);
                write(replay, hello);
                PeerMessage answer = StallingPeer.read(new DataInputStream(replay.getInputStream()));
                assertThat(answer != null && answer.hasHello()).as("the replayed hello is answered").isTrue();
                write(replay, proof);
                await(() -> isClosedByPeer(replay), SteppedWallClockLoopbackTest.WAIT.now());
            }
            assertThat(logged.list).as("refused at the proof").anyMatch(e -> e.getFormattedMessage().contains("refused")
                    && e.getFormattedMessage().contains("copied hello"));
            assertThat(right.linkedTo(skewed.id())).as("the real link stays").isTrue();
        }
    }

    /** A node of this test's network on the wall clock {@code wall}, bootstrapping from {@code bootstrap}. */
    private Started startOn(Path dir, LongSupplier wall, Supplier<List<NodeInfo>> bootstrap, SimpleMeterRegistry meters)
            throws Exception {
        Identity identity = Identity.generate();
        NodeRepository repo = NodeRepository.open(dir.resolve("repo.git"));
        net.open.add(repo);
        GossipService gossip = GossipService.start(repo, identity,
                GossipSettings.defaults("127.0.0.1", 0, "cpu", dir.resolve("peers.bin")),
                GossipCore.factory(identity, GossipConfig.defaults()), bootstrap, () -> Reach.LOOPBACK,
                new TransferLog(dir.resolve("transfers.jsonl")), net.group, wall, PeerResolver.SYSTEM, meters);
        net.open.add(gossip);
        return new Started(identity, repo, gossip);
    }

    private static PeerEndpoint endpoint(Started holder) {
        return PeerEndpoint.newBuilder().setNode(holder.id().toByteString()).setHost("127.0.0.1")
                .setPort(holder.gossip().port()).build();
    }

    /**
     * A relay on loopback between dialling nodes and {@code target}'s port, keeping what the first
     * dialler sent (its hello and its proof, then its gossip): a wiretap.
     */
    private static final class Recorder implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final ByteArrayOutputStream first = new ByteArrayOutputStream();
        private final Thread acceptor;

        Recorder(int target) throws IOException {
            acceptor = new Thread(() -> {
                boolean recording = true;
                while (!server.isClosed()) {
                    try {
                        Socket in = server.accept();
                        Socket out = new Socket("127.0.0.1", target);
                        sockets.add(in);
                        sockets.add(out);
                        pump(in.getInputStream(), out.getOutputStream(), recording ? first : null);
                        pump(out.getInputStream(), in.getOutputStream(), null);
                        recording = false;
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "recorder");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        byte[] firstDialersBytes() {
            synchronized (first) {
                return first.toByteArray();
            }
        }

        private static void pump(InputStream from, OutputStream to, ByteArrayOutputStream copy) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try {
                    for (int n; (n = from.read(buffer)) >= 0; ) {
                        if (copy != null) {
                            synchronized (copy) {
                                copy.write(buffer, 0, n);
                            }
                        }
                        to.write(buffer, 0, n);
                        to.flush();
                    }
                } catch (IOException closed) {
                    // either end went away
                }
            }, "recorder-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
