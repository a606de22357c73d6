package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.google.protobuf.ByteString;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.node.peer.FrameDeadline;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A rogue at the handshake, before any link: refused hellos and bad requests in a loop (the log
 * stays bounded), hundreds of half-open handshakes and of hellos a byte a second (each closed at
 * its deadline); an honest peer links after each.
 */
class HandshakeAbuseLoopbackTest extends RogueLoopbackTest {
    @Test
    void aRogueLoopingRefusedHellosAndBadRequestsWritesABoundedLogAndHonestPeersStillLink() throws Exception {
        Started a = start("a", honest(1), List.of());
        long fdsBefore = openFds();
        logged.start();
        nodeLogs.addAppender(logged);

        int rounds = 160;
        long started = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            try (Socket s = new Socket("127.0.0.1", a.gossip().port())) {
                s.setSoTimeout(10_000);
                Identity made = Identity.generate();
                if (i % 2 == 0) {
                    // A gossip hello whose NodeInfo signature is broken: refused by the handshake.
                    SignedEnvelope info = Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString())
                            .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
                    byte[] signature = info.getSignature().toByteArray();
                    signature[0] ^= 1;
                    write(s, PeerMessage.newBuilder().setHello(hello(made).setNodeInfo(info.toBuilder()
                            .setSignature(ByteString.copyFrom(signature)))).build());
                } else {
                    // A bundle client, its key proved, asking for something that is not a commit id: refused by the server.
                    RawWire.openFetch(s.getInputStream(), s.getOutputStream(), made);
                    write(s, PeerMessage.newBuilder().setBundleRequest(BundleRequest.newBuilder().setCommit("../../etc/passwd")).build());
                }
                drainUntilClosed(s);
            }
        }

        // Each call site a peer can reach lets its budget through in any minute (a loaded machine
        // may take more than one for the loop, and may hit a deadline's call site too); one a peer
        // reaches without a budget writes a line per connection.
        Map<String, Long> perSite = warningsPerCallSite();
        long minutes = 1 + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) / WarnBudget.WINDOW_MS;
        assertThat(perSite).as("WARN lines per call site for " + rounds + " rogue connections in " + minutes + " minute(s)")
                .allSatisfy((site, lines) -> assertThat(lines).as(site).isLessThanOrEqualTo(minutes * WarnBudget.PER_WINDOW));
        assertThat(logged.list.stream().filter(e -> e.getLevel() == Level.DEBUG
                && e.getFormattedMessage().contains("closing connection")).count()).as("the rest, at debug level").isPositive();
        GossipServiceTest.await(() -> openFds() <= fdsBefore + 8, Duration.ofSeconds(60));

        Started b = start("b", honest(2), List.of(info(a)));
        GossipServiceTest.await(() -> linked(a).contains(b.identity().publicId()) && linked(b).contains(a.identity().publicId()),
                Duration.ofSeconds(20));
    }

    @Test
    void halfOpenHandshakesByTheHundredAreClosedAtTheTimeoutAndHonestPeersStillLink() throws Exception {
        Started a = start("a", honest(1), List.of());
        long fdsBefore = openFds();
        int threadsBefore = Thread.activeCount();
        List<Socket> halfOpen = new ArrayList<>();
        try {
            // Valid gossip hellos of made-up nodes (a signature costs nothing), then never the proof.
            // Past the address's cap of half-open connections a socket is closed as it is accepted,
            // so a write to it may meet a broken pipe: that is the cap at work, not a failure.
            int refused = 0;
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket("127.0.0.1", a.gossip().port());
                halfOpen.add(s);
                Identity made = Identity.generate();
                SignedEnvelope info = Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString())
                        .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
                try {
                    write(s, PeerMessage.newBuilder().setHello(hello(made).setNodeInfo(info)).build());
                } catch (java.io.IOException closedAtAccept) {
                    refused++;
                }
            }
            // (how many depends on how fast the flood's first handshakes time out and rest the address)
            assertThat(refused).as("connections closed before their hello was written, the first never").isLessThan(200);
            Started b = start("b", honest(2), List.of(info(a)));
            GossipServiceTest.await(() -> linked(a).contains(b.identity().publicId()), Duration.ofSeconds(60));
            for (Socket s : halfOpen) {
                s.setSoTimeout(20_000);
                drainUntilClosed(s); // the node answers its hello, then closes at the handshake timeout
            }
        } finally {
            for (Socket s : halfOpen) {
                s.close();
            }
        }
        assertThat(linked(a)).as("made-up nodes linked without a proof").hasSize(1);
        GossipServiceTest.await(() -> openFds() <= fdsBefore + 40, Duration.ofSeconds(60)); // B's own sockets and files
        assertThat(Thread.activeCount()).isLessThanOrEqualTo(threadsBefore + 16);
    }

    /**
     * Handshake slowloris: a hundred connections each sending a valid gossip hello a byte a second
     * (never idle, never a whole frame; the hello would take minutes) are each closed at the handshake
     * deadline, counted from accept (2 s here), before the frame deadline (10 s and more) would close
     * them, and an honest peer then links.
     */
    @Test
    void helloesSentAByteASecondByTheHundredAreClosedAtTheHandshakeDeadlineAndAnHonestPeerLinks() throws Exception {
        Started a = start("a", honest(1), List.of());
        long fdsBefore = openFds();
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Identity made = Identity.generate();
            SignedEnvelope info = Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString())
                    .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
            byte[] body = PeerMessage.newBuilder().setHello(hello(made).setNodeInfo(info)).build().toByteArray();
            frames.add(java.nio.ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array());
        }
        assertThat(frames).allSatisfy(f -> assertThat(f.length).as("a hello takes over a minute at a byte a second").isGreaterThan(60));
        List<Socket> tricklers = new ArrayList<>();
        Thread trickle = null;
        long opened = System.nanoTime();
        try {
            for (int i = 0; i < frames.size(); i++) {
                tricklers.add(new Socket("127.0.0.1", a.gossip().port()));
            }
            trickle = new Thread(() -> {
                for (int at = 0; at < 60 && !Thread.currentThread().isInterrupted(); at++) {
                    for (int i = 0; i < tricklers.size(); i++) {
                        try {
                            tricklers.get(i).getOutputStream().write(frames.get(i)[at]);
                            tricklers.get(i).getOutputStream().flush();
                        } catch (IOException closed) {
                            // the node hung up: nothing more to trickle on this one
                        }
                    }
                    try {
                        Thread.sleep(1_000);  // the pace is the attack: a byte a second, not a wait for a condition
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "slowloris");
            trickle.setDaemon(true);
            trickle.start();
            for (Socket s : tricklers) {
                s.setSoTimeout(30_000);  // far under the minute a hello takes
                drainUntilClosed(s);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - opened)).as("closed at the handshake deadline, not the frame's")
                    .isLessThan(Duration.ofMillis(FrameDeadline.GRACE_MS));
            Started b = start("b", honest(2), List.of(info(a)));
            GossipServiceTest.await(() -> linked(a).contains(b.identity().publicId()), Duration.ofSeconds(60));
        } finally {
            if (trickle != null) {
                trickle.interrupt();
            }
            for (Socket s : tricklers) {
                s.close();
            }
        }
        assertThat(linked(a)).as("only the honest peer linked").hasSize(1);
        GossipServiceTest.await(() -> openFds() <= fdsBefore + 40, Duration.ofSeconds(60)); // B's own sockets and files
    }

    /**
     * The WARN lines logged, counted by logger and message format (one format, one call site; a
     * budget's "held back" suffix stripped), so a failure names the call site past its budget.
     */
    private Map<String, Long> warningsPerCallSite() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.WARN)
                .collect(Collectors.groupingBy(e -> e.getLoggerName().substring(e.getLoggerName().lastIndexOf('.') + 1) + ": "
                        + e.getMessage().replace(WarnBudget.HELD_BACK, ""), TreeMap::new, Collectors.counting()));
    }
}
