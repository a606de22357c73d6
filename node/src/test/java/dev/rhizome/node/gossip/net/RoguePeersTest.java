package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.PeerProtocol;
import dev.rhizome.node.gossip.core.SignatureCheck;
import dev.rhizome.node.peer.FrameDeadline;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A rogue peer against real nodes on loopback, beyond what {@link HostilePeersTest} covers: it
 * loops connections with refused hellos and bad requests (the log must stay bounded and the node
 * keep linking with honest peers), and it pads the signed records it hands on (an honest relay of
 * them must not be banned by its honest neighbours).
 */
class RoguePeersTest {
    static final PeerConfig PEER = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(5));

    @TempDir
    Path tmp;

    final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    final List<AutoCloseable> open = new ArrayList<>();
    final Random random = new Random(17);
    final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    final ch.qos.logback.classic.Logger nodeLogs = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.rhizome.node");

    record Node(Identity identity, NodeRepository repo, GossipService gossip) {
    }

    @AfterEach
    void closeAll() throws Exception {
        nodeLogs.detachAppender(logged);
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aRogueLoopingRefusedHellosAndBadRequestsWritesABoundedLogAndHonestPeersStillLink() throws Exception {
        Node a = start("a", honest(1), List.of());
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

        Node b = start("b", honest(2), List.of(info(a)));
        GossipServiceTest.await(() -> linked(a).contains(b.identity().publicId()) && linked(b).contains(a.identity().publicId()),
                Duration.ofSeconds(20));
    }

    @Test
    void halfOpenHandshakesByTheHundredAreClosedAtTheTimeoutAndHonestPeersStillLink() throws Exception {
        Node a = start("a", honest(1), List.of());
        long fdsBefore = openFds();
        int threadsBefore = Thread.activeCount();
        List<Socket> halfOpen = new ArrayList<>();
        try {
            // Valid gossip hellos of made-up nodes (a signature costs nothing), then never the proof.
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket("127.0.0.1", a.gossip().port());
                halfOpen.add(s);
                Identity made = Identity.generate();
                SignedEnvelope info = Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString())
                        .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
                write(s, PeerMessage.newBuilder().setHello(hello(made).setNodeInfo(info)).build());
            }
            Node b = start("b", honest(2), List.of(info(a)));
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
        Node a = start("a", honest(1), List.of());
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
            Node b = start("b", honest(2), List.of(info(a)));
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

    @Test
    void paddedNodeInfosFromARogueNeitherFillTheTableNorGetAnHonestRelayBanned() throws Exception {
        // The rogue keeps every link it is offered (it dials none): A knows it from its bootstrap.
        Node rogue = start("rogue", id -> self -> HostileProtocols.padder(id, self), List.of());
        Node a = start("a", honest(1), List.of(info(rogue)));
        Node c = start("c", honest(3), List.of(info(a)));
        PublicId rogueId = rogue.identity().publicId();
        // Refused at once (and the rogue banned), or, without the bounds, kept by the dozen.
        GossipServiceTest.await(() -> banned(a, rogueId) || tableSize(a) >= 40, Duration.ofSeconds(30));

        // B asks A for peers on linking; A's answer carries what its table holds, and must fit B's frames.
        Node b = start("b", honest(2), List.of(info(a)));
        PublicId aId = a.identity().publicId();
        GossipServiceTest.await(() -> tableSize(b) >= 2 || banned(b, aId),
                Duration.ofSeconds(20));
        boolean banned = b.gossip().query(p -> p.isBanned(aId, System.currentTimeMillis()));
        double score = b.gossip().query(p -> ((GossipCore) p).score(aId));
        assertThat(banned).as("the honest relay banned").isFalse();
        assertThat(score).isGreaterThanOrEqualTo(0.0);
        assertThat(linked(b)).contains(aId);
        assertThat(linked(c)).contains(aId);
        assertThat(tableSize(a)).as("made-up padded nodes kept").isLessThanOrEqualTo(3);
    }

    @Test
    void madeUpNodesWithoutAnAddressAreNotKeptAndHonestNewcomersStillFindPlaces() throws Exception {
        // Before, each was kept: never dialled, so never failed, so never evicted, and the table filled for good.
        AtomicInteger sent = new AtomicInteger();
        Node rogue = start("rogue", id -> self -> HostileProtocols.addressless(id, self, sent), List.of());
        Node a = start("a", honest(1), List.of(info(rogue)));
        GossipServiceTest.await(() -> sent.get() >= 300 || tableSize(a) >= 40, Duration.ofSeconds(60));
        assertThat(tableSize(a)).as("made-up nodes without an address kept").isLessThanOrEqualTo(1);
        Node b = start("b", honest(2), List.of(info(a)));
        PublicId bId = b.identity().publicId();
        GossipServiceTest.await(() -> linked(a).contains(bId), Duration.ofSeconds(60));
        assertThat(banned(a, rogue.identity().publicId())).as("an older node may relay such records: no offence").isFalse();
    }

    @Test
    void madeUpNodesNamingAVictimsAddressGetItDialledOneAtATimeAndAreNotHandedOn() throws Exception {
        // The victim runs no node: it takes connections and never answers, so each dial waits out the handshake.
        try (ServerSocket victim = new ServerSocket(0, 512, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger maxOpen = new AtomicInteger();
            List<Socket> held = Collections.synchronizedList(new ArrayList<>());
            Thread acceptor = new Thread(() -> {
                while (!victim.isClosed()) {
                    try {
                        Socket s = victim.accept();
                        accepted.incrementAndGet();
                        held.add(s);
                        synchronized (held) {
                            held.removeIf(h -> isClosedByPeer(h));
                            maxOpen.accumulateAndGet(held.size(), Math::max);
                        }
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "victim");
            acceptor.setDaemon(true);
            acceptor.start();
            open.add(() -> held.forEach(h -> {
                try {
                    h.close();
                } catch (IOException ignored) {
                    // closing
                }
            }));

            Node rogue = start("rogue", id -> self -> HostileProtocols.reflector(id, self, "127.0.0.1", victim.getLocalPort()),
                    List.of());
            Node a = start("a", honest(1), List.of(info(rogue)));
            Node b = start("b", honest(2), List.of(info(a)));
            GossipServiceTest.await(() -> linked(b).contains(a.identity().publicId()), Duration.ofSeconds(60));
            // Three dials came and went (each waits out the 2 s handshake), while the rogue poured in 30 ids a second.
            GossipServiceTest.await(() -> accepted.get() >= 4, Duration.ofSeconds(30));

            // One dial in flight per node (A and B) to the victim's address, whatever the ids; without
            // the bound each node kept its whole degree of dials there.
            assertThat(maxOpen.get()).as("connections open at the victim at once").isLessThanOrEqualTo(2);
            // B learnt the victim's address from A at most twice (A relays the first id only, and a
            // peer exchange carries one record per address): A, the rogue and two ids at most.
            assertThat(tableSize(b)).as("B's peer table").isLessThanOrEqualTo(4);
            assertThat(tableSize(a)).as("A's peer table").isLessThanOrEqualTo(4);
        }
    }

    @Test
    void madeUpNodesNamingALiveNodesAddressGetItDialledOnceWhenItAnswersAsItself() throws Exception {
        // The victim runs a node; a counting forwarder in front of it is the address the made-up ids name.
        Node victim = start("victim", honest(3), List.of());
        try (ServerSocket front = new ServerSocket(0, 512, InetAddress.getLoopbackAddress())) {
            AtomicInteger accepted = new AtomicInteger();
            Thread acceptor = new Thread(() -> {
                while (!front.isClosed()) {
                    try {
                        Socket in = front.accept();
                        accepted.incrementAndGet();
                        Socket out = new Socket("127.0.0.1", victim.gossip().port());
                        open.add(in);
                        open.add(out);
                        pipe(in, out);
                        pipe(out, in);
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "front");
            acceptor.setDaemon(true);
            acceptor.start();

            Node rogue = start("rogue", id -> self -> HostileProtocols.reflector(id, self, "127.0.0.1", front.getLocalPort()),
                    List.of());
            Node a = start("a", honest(1), List.of(info(rogue)));
            GossipServiceTest.await(() -> accepted.get() >= 1, Duration.ofSeconds(30));
            // Hundreds of made-up ids there meanwhile. Each dial the victim answered as itself was a
            // failed dial of the address: redialled every 0.2, 0.4 ... 2 s, a handshake at the victim each.
            long before = stats(a).announcementsReceived();
            GossipServiceTest.await(() -> stats(a).announcementsReceived() >= before + 300, Duration.ofSeconds(60));
            assertThat(accepted.get()).as("dials at the live node's address").isEqualTo(1);
        }
    }

    private static void pipe(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
            } catch (IOException closed) {
                // either end closed
            } finally {
                try {
                    to.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }, "pipe");
        t.setDaemon(true);
        t.start();
    }

    @Test
    void aBannedPeerReconnectingIsClosedAtAcceptWithoutAHandshakeForAWhileAndItsAddressMatesThenLink() throws Exception {
        Node rogue = start("rogue", id -> self -> HostileProtocols.forger(id, self, Identity.generate().publicId()), List.of());
        Node a = start("a", honest(1), List.of(info(rogue)));
        PublicId rogueId = rogue.identity().publicId();
        GossipServiceTest.await(() -> banned(a, rogueId), Duration.ofSeconds(60));

        // The rogue reconnects in a loop with valid hellos: before, A answered each with its own
        // hello (a signature over the rogue's nonce, after verifying the rogue's NodeInfo) and cut
        // it only once the handshake was done; now, once it came back, its address is closed at
        // accept, nothing read.
        int answered = 0;
        for (int i = 0; i < 20; i++) {
            try (Socket s = new Socket("127.0.0.1", a.gossip().port())) {
                s.setSoTimeout(10_000);
                SignedEnvelope info = Envelopes.sign(rogue.identity(), NodeInfo.newBuilder().setNode(rogueId.toByteString())
                        .setHost("127.0.0.1").setPort(rogue.gossip().port()).setTimeMs(System.currentTimeMillis()).build());
                try {
                    write(s, PeerMessage.newBuilder().setHello(hello(rogue.identity()).setNodeInfo(info)).build());
                    PeerMessage theirs = StallingPeer.read(new DataInputStream(s.getInputStream()));
                    if (theirs != null) {
                        answered++;
                        // The whole handshake, as a looping rogue does: then the core cuts it again.
                        write(s, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder()
                                .setProof(ByteString.copyFrom(HandshakeProof.sign(rogue.identity(),
                                        theirs.getHello().getNonce().toByteArray(), a.identity().publicId())))).build());
                        drainUntilClosed(s);
                    }
                } catch (EOFException | SocketException closed) {
                    // closed at accept
                }
            }
        }
        // The first return costs one handshake, after which the core shuns the address for a span.
        assertThat(answered).as("handshakes answered to a banned peer looping").isLessThanOrEqualTo(1);

        // Nodes behind one NAT share the address (here, loopback): time-limited, so an honest one links after the span.
        Node b = start("b", honest(2), List.of(info(a)));
        GossipServiceTest.await(() -> linked(b).contains(a.identity().publicId()), Duration.ofSeconds(30));
    }

    @Test
    void aGossipPeerThatStartsAFrameAndStopsIsCutAtTheFrameDeadlineAndASlowWholeFrameIsNot() throws Exception {
        Node a = start("a", honest(1), List.of());
        Identity made = Identity.generate();
        try (Socket s = linkAs(made, a)) {
            GossipServiceTest.await(() -> linked(a).contains(made.publicId()), Duration.ofSeconds(60));

            // An honest peer on a slow link: a 48 KB frame at 8 KB/s (above the 6.4 KB/s floor) takes 6 s.
            byte[] frame = PeerMessage.newBuilder().setGossip(Gossip.newBuilder()
                    .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(1)))
                    .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder().addField(999,
                            com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                                    .addLengthDelimited(ByteString.copyFrom(new byte[48_000])).build()).build())
                    .build().toByteArray();
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(frame.length);
            for (int off = 0; off < frame.length; off += 4096) {
                out.write(frame, off, Math.min(4096, frame.length - off));
                out.flush();
                Thread.sleep(500); // pacing the sender, not waiting for the node
            }
            GossipServiceTest.await(() -> a.gossip().counters().gossipReceived() >= 1, Duration.ofSeconds(60));
            assertThat(linked(a)).as("a slow but whole frame").contains(made.publicId());

            // A rogue: declares a 32 KiB frame, sends 100 bytes of it and stops, holding the buffer and the link.
            out.writeInt(32 << 10);
            out.write(new byte[100]);
            out.flush();
            long started = System.nanoTime();
            GossipServiceTest.await(() -> !linked(a).contains(made.publicId()), Duration.ofSeconds(60));
            assertThat(Duration.ofNanos(System.nanoTime() - started))
                    .isLessThanOrEqualTo(Duration.ofMillis(FrameDeadline.deadlineMs(32 << 10) + 10_000));
        }
    }

    @Test
    void aRecordNamingAPortNoSocketHasNeitherStopsTheNodesClockNorIsDialled() throws Exception {
        List<NodeInfo> bootstrap = new CopyOnWriteArrayList<>();
        Node a = start("a", honest(1), bootstrap);
        logged.start();
        nodeLogs.addAppender(logged);
        Identity rogue = Identity.generate();
        try (Socket s = linkAs(rogue, a)) {
            GossipServiceTest.await(() -> linked(a).contains(rogue.publicId()), Duration.ofSeconds(60));
            // A made-up node at port 70,000 (a uint32 on the wire): A's next tick dialled it, the
            // driver's connect threw on the core thread, and the rest of that step (its wakeup
            // among it) was lost: A's core never ticked again.
            Identity made = Identity.generate();
            write(s, PeerMessage.newBuilder().setGossip(Gossip.newBuilder().setAnnouncement(
                    Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString()).setHost("127.0.0.1")
                            .setPort(70_000).setTimeMs(System.currentTimeMillis()).build()))).build());
            GossipServiceTest.await(() -> a.gossip().counters().gossipReceived() >= 1, Duration.ofSeconds(60));

            // With one link, A asks its bootstrap source for nodes on a tick every 10 s: B only comes that way.
            Node b = start("b", honest(2), List.of());
            bootstrap.add(info(b));
            GossipServiceTest.await(() -> linked(a).contains(b.identity().publicId()), Duration.ofSeconds(30));
            assertThat(logged.list).noneMatch(e -> e.getLevel() == Level.ERROR);
        }
    }

    @Test
    void aPeerMessageOfAKindANewerVersionAddedIsDroppedFreeWhileGarbageStillCosts() throws Exception {
        Node a = start("a", honest(1), List.of());
        Identity newer = Identity.generate();
        try (Socket s = linkAs(newer, a)) {
            GossipServiceTest.await(() -> linked(a).contains(newer.publicId()), Duration.ofSeconds(60));
            // A newer node's new top-level kind: one message-typed field past those this version knows.
            // Each scored -4 and closed the link before, so 8 of them had the newer node banned.
            PeerMessage newerKind = PeerMessage.newBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                    .addField(9, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                            .addLengthDelimited(ByteString.copyFromUtf8("\n\u0003new")).build()).build()).build();
            for (int i = 0; i < 12; i++) {
                write(s, newerKind);
            }
            GossipServiceTest.await(() -> stats(a).newerKinds() >= 12, Duration.ofSeconds(30));
            assertThat(linked(a)).as("a newer node's kind closes no link").contains(newer.publicId());
            assertThat(score(a, newer.publicId())).isEqualTo(0.0);

            // Garbage that happens to parse (a varint where a kind is a message) is no kind: malformed, -8.
            write(s, PeerMessage.newBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                    .addField(9, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build()).build());
            GossipServiceTest.await(() -> score(a, newer.publicId()) <= -8.0, Duration.ofSeconds(30));
            // A kind this version knows, out of place on a link, still costs and ends it.
            write(s, PeerMessage.newBuilder().setBundleRequest(BundleRequest.newBuilder().setCommit("c".repeat(40))).build());
            GossipServiceTest.await(() -> !linked(a).contains(newer.publicId()), Duration.ofSeconds(30));
            assertThat(score(a, newer.publicId())).isLessThanOrEqualTo(-12.0);
        }
    }

    @Test
    void aBannedRogueBackAtOnceUnderFreshKeysPaysMorePerKeyWhileAnHonestAddressMateStillLinks() throws Exception {
        Node a = start("a", honest(1), List.of());
        // Each key a rogue makes costs it nothing: banned, it came back at once under another and
        // forged 4 more signatures (each an Ed25519 check, or 2 wrong bundles, each a whole fetch)
        // before the next ban. Now the bans from its address weigh on the next key's offences.
        List<Integer> forgeriesPerKey = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
            Identity fresh = Identity.generate();
            try (Socket s = linkAs(fresh, a)) {
                GossipServiceTest.await(() -> linked(a).contains(fresh.publicId()), Duration.ofSeconds(60));
                int forged = 0;
                while (!banned(a, fresh.publicId()) && forged < 10) {
                    SignedEnvelope info = Envelopes.sign(fresh, NodeInfo.newBuilder().setNode(fresh.publicId().toByteString())
                            .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis() + forged).build());
                    byte[] signature = info.getSignature().toByteArray();
                    signature[0] ^= 1;
                    write(s, PeerMessage.newBuilder().setGossip(Gossip.newBuilder().setAnnouncement(
                            info.toBuilder().setSignature(ByteString.copyFrom(signature)))).build());
                    forged++;
                    int sent = forged;
                    GossipServiceTest.await(() -> banned(a, fresh.publicId()) || stats(a).invalid() >= totalForged(forgeriesPerKey) + sent,
                            Duration.ofSeconds(30));
                }
                forgeriesPerKey.add(forged);
            }
        }
        assertThat(forgeriesPerKey.get(0)).as("the first key, from an address with no bans").isEqualTo(4);
        assertThat(forgeriesPerKey.get(1)).as("the second key").isEqualTo(2);
        assertThat(forgeriesPerKey.subList(4, 6)).as("keys after 4 bans from the address: cut at their first forgery")
                .containsOnly(1);

        // An honest node at the same address (a NAT's neighbour; here all of loopback) links and keeps its
        // link, its score untouched: nothing is refused or lowered for its address, only offences cost more.
        Node b = start("b", honest(2), List.of(info(a)));
        PublicId bId = b.identity().publicId();
        GossipServiceTest.await(() -> linked(a).contains(bId) && linked(b).contains(a.identity().publicId()), Duration.ofSeconds(60));
        assertThat(banned(a, bId)).isFalse();
        assertThat(score(a, bId)).isEqualTo(0.0);
    }

    private static int totalForged(List<Integer> perKey) {
        return perKey.stream().mapToInt(Integer::intValue).sum();
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

    /** A raw gossip link to {@code target} as {@code id}: its hello, the node's hello, our proof over its nonce. */
    @Test
    void aPeerRelinkingInALoopGetsRestsBeforeAnyHandshakeAndAnHonestPeerReconnectingAfterADropLinksAtOnce() throws Exception {
        Node a = start("a", honest(1), List.of());
        // An honest peer at its own address: linked, then its link drops (a network blip).
        Identity honest = Identity.generate();
        Socket first = handshakeFrom(honest, a, "127.0.0.2");
        assertThat(first).as("the honest peer's first handshake").isNotNull();
        GossipServiceTest.await(() -> linked(a).contains(honest.publicId()), Duration.ofSeconds(60));
        first.close();
        GossipServiceTest.await(() -> !linked(a).contains(honest.publicId()), Duration.ofSeconds(60));

        // A rogue links from 127.0.0.1 under a fresh key every 100 ms (each link up, then dropped) for
        // 20 s: before, every one cost A a whole handshake; now, past 12 churned links its address
        // rests (closed at accept, nothing read), 5 s doubling while it keeps at it.
        int answered = 0;
        int attempts = 0;
        long started = System.nanoTime();
        while (System.nanoTime() - started < Duration.ofSeconds(20).toNanos()) {
            attempts++;
            Identity fresh = Identity.generate();
            Socket s = handshakeFrom(fresh, a, "127.0.0.1");
            if (s != null) {
                answered++;
                try (s) {
                    // The link is up at A (the core counts it), then the rogue drops it.
                    GossipServiceTest.await(() -> linked(a).contains(fresh.publicId()) || isClosedByPeer(s), Duration.ofSeconds(30));
                }
            }
            Thread.sleep(100); // the rogue's pace, not a wait for the node
        }
        // At most 13 handshakes before the first rest, then one per rest (5 s, 10 s within the 20 s).
        assertThat(answered).as("handshakes answered in %d attempts over 20 s", attempts).isLessThanOrEqualTo(16);
        assertThat(attempts).as("attempts closed at accept").isGreaterThan(answered);

        // The honest peer reconnects, three times in a row, from its own address: linked at once each time.
        for (int i = 0; i < 3; i++) {
            Socket back = handshakeFrom(honest, a, "127.0.0.2");
            assertThat(back).as("reconnect %d answered", i).isNotNull();
            try (back) {
                GossipServiceTest.await(() -> linked(a).contains(honest.publicId()), Duration.ofSeconds(60));
            }
            GossipServiceTest.await(() -> !linked(a).contains(honest.publicId()), Duration.ofSeconds(60));
        }
    }

    /**
     * A rogue that sends a valid hello, takes the node's (a verification and a signature of the
     * node's) and hangs up before its proof never linked, so the churn rule never counted it: each
     * cost a handshake, bounded only by the handshake turns. Now each is churn of its address.
     */
    @Test
    void aRogueHangingUpAfterOurHelloInALoopGetsRestsAndAnHonestPeerElsewhereStillLinks() throws Exception {
        Node a = start("a", honest(1), List.of());
        int answered = 0;
        int attempts = 0;
        long started = System.nanoTime();
        while (System.nanoTime() - started < Duration.ofSeconds(15).toNanos()) {
            attempts++;
            if (helloOnlyFrom(Identity.generate(), a, "127.0.0.1")) {
                answered++;
            }
            Thread.sleep(100); // the rogue's pace, not a wait for the node
        }
        // At most 13 answered hellos before the first rest, then one per rest (5 s, 10 s within the 15 s).
        assertThat(answered).as("hellos answered in %d attempts over 15 s", attempts).isLessThanOrEqualTo(16);
        assertThat(attempts).as("attempts closed at accept").isGreaterThan(answered);

        // An honest peer of another network links at once.
        Identity honest = Identity.generate();
        Socket s = handshakeFrom(honest, a, "127.0.1.2");
        assertThat(s).as("the honest peer's handshake").isNotNull();
        try (s) {
            GossipServiceTest.await(() -> linked(a).contains(honest.publicId()), Duration.ofSeconds(60));
        }
    }

    /** Our hello to {@code target} from local address {@code from}, its hello read, then a hang-up: whether its hello came. */
    private static boolean helloOnlyFrom(Identity id, Node target, String from) throws IOException {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), target.gossip().port(), InetAddress.getByName(from), 0)) {
            s.setSoTimeout(30_000);
            SignedEnvelope info = Envelopes.sign(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString())
                    .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
            write(s, PeerMessage.newBuilder().setHello(hello(id).setNodeInfo(info)).build());
            PeerMessage theirs = StallingPeer.read(new DataInputStream(s.getInputStream()));
            return theirs != null && theirs.hasHello();
        } catch (EOFException | SocketException closed) {
            return false;
        }
    }

    /** A whole inbound handshake with {@code target} from local address {@code from}; null when closed unanswered (at accept). */
    private static Socket handshakeFrom(Identity id, Node target, String from) throws IOException {
        Socket s = new Socket(InetAddress.getByName("127.0.0.1"), target.gossip().port(), InetAddress.getByName(from), 0);
        try {
            s.setSoTimeout(30_000);
            SignedEnvelope info = Envelopes.sign(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString())
                    .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
            write(s, PeerMessage.newBuilder().setHello(hello(id).setNodeInfo(info)).build());
            PeerMessage theirs = StallingPeer.read(new DataInputStream(s.getInputStream()));
            if (theirs == null || !theirs.hasHello()) {
                s.close();
                return null;
            }
            write(s, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(ByteString.copyFrom(
                    HandshakeProof.sign(id, theirs.getHello().getNonce().toByteArray(),
                            target.identity().publicId())))).build());
            return s;
        } catch (EOFException | SocketException closed) {
            s.close();
            return null;
        }
    }

    private static Socket linkAs(Identity id, Node target) throws IOException {
        Socket s = new Socket("127.0.0.1", target.gossip().port());
        s.setSoTimeout(10_000);
        SignedEnvelope info = Envelopes.sign(id, NodeInfo.newBuilder().setNode(id.publicId().toByteString())
                .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
        write(s, PeerMessage.newBuilder().setHello(hello(id).setNodeInfo(info)).build());
        PeerMessage theirs = StallingPeer.read(new DataInputStream(s.getInputStream()));
        write(s, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(ByteString.copyFrom(
                HandshakeProof.sign(id, theirs.getHello().getNonce().toByteArray(),
                        target.identity().publicId())))).build());
        return s;
    }

    /** Whether the other end closed {@code s} (a read would see the end of the stream), without blocking. */
    private static boolean isClosedByPeer(Socket s) {
        try {
            s.setSoTimeout(1);
            byte[] skip = new byte[4096];
            while (true) { // what the dialler sent (its hello), then the end of the stream or nothing yet
                if (s.getInputStream().read(skip) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException open) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static Hello.Builder hello(Identity identity) {
        byte[] nonce = new byte[32];
        new Random().nextBytes(nonce);
        return Hello.newBuilder().setProtocolVersion(1).setNode(identity.publicId().toByteString()).setNonce(ByteString.copyFrom(nonce));
    }

    private static void write(Socket s, PeerMessage message) throws IOException {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        byte[] frame = message.toByteArray();
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
    }

    /** Reads whatever the node answers until it closes the connection. */
    private static void drainUntilClosed(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        try {
            while (true) {
                byte[] frame = new byte[in.readInt()];
                in.readFully(frame);
            }
        } catch (EOFException | SocketException closed) {
            // closed, as it should be
        }
    }

    /** File descriptors this JVM holds open now (Linux). */
    private static long openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Function<Identity, Function<NodeInfo, PeerProtocol>> honest(long seed) {
        GossipConfig d = GossipConfig.defaults();
        GossipConfig config = new GossipConfig(d.degree(), d.maxDegree(), d.maxKnownPeers(), d.seenTtl(), d.maxSeen(),
                d.maxClockSkew(), d.fetchStall(), d.maxCommitsPerInventory(), d.announcementsPerSecond(),
                d.announcementBurst(), d.disconnectScore(), d.banScore(), d.banDuration(), Duration.ofMillis(200),
                Duration.ofSeconds(2));
        return id -> self -> new GossipCore(id, self, config, new Random(seed), SignatureCheck.envelopes());
    }

    private Node start(String name, Function<Identity, Function<NodeInfo, PeerProtocol>> protocol, List<NodeInfo> bootstrap)
            throws Exception {
        Identity identity = Identity.generate();
        Path dir = tmp.resolve(name);
        NodeRepository repo = NodeRepository.open(dir.resolve("repo.git"));
        open.add(repo);
        GossipSettings settings = GossipSettings.defaults("127.0.0.1", 0, "cpu", null).withPeer(PEER).withTick(Duration.ofMillis(100));
        // Read at each ask, so a test may add to it.
        GossipService gossip = GossipService.start(repo, identity, settings, protocol.apply(identity), () -> List.copyOf(bootstrap),
                new TransferLog(dir.resolve("transfers.jsonl")), group);
        open.add(gossip);
        return new Node(identity, repo, gossip);
    }

    private static NodeInfo info(Node node) {
        return NodeInfo.newBuilder().setNode(node.identity().publicId().toByteString()).setHost("127.0.0.1")
                .setPort(node.gossip().port()).build();
    }

    private static Set<PublicId> linked(Node n) {
        try {
            return n.gossip().linkedPeers();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean banned(Node n, PublicId peer) {
        try {
            return n.gossip().query(p -> p.isBanned(peer, System.currentTimeMillis()));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static dev.rhizome.node.gossip.core.GossipStats stats(Node n) {
        try {
            return n.gossip().query(p -> ((GossipCore) p).stats());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double score(Node n, PublicId peer) {
        try {
            return n.gossip().query(p -> ((GossipCore) p).score(peer));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int tableSize(Node n) {
        try {
            return n.gossip().query(p -> ((GossipCore) p).stats().peerTableSize());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
