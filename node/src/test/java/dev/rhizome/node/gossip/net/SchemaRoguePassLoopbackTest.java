package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.google.protobuf.ByteString;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipConfig;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.GossipNetwork;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.Gossip;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.Inventory;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerExchangeRequest;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A rogue-peer pass written from the schemas (peer.proto, records.proto) against a real node on
 * loopback beside an honest peer: handshake messages out of order or repeated, hellos with a forged
 * identity or another network's record, bundle messages nobody asked for, announcements of
 * thousands of commits at once and of one commit from many keys. For each: the node stays up and
 * keeps its honest link, its threads stay bounded, the honest peer is never penalised, and the
 * WARN lines stay within each call site's {@link WarnBudget}.
 */
class SchemaRoguePassLoopbackTest extends LoopbackTest {
    final NodeLog logged = new NodeLog();

    @AfterEach
    void detach() {
        logged.close();
    }

    @Test
    void handshakesOutOfOrderRepeatedOrForgedCostTheHonestNothingAndLogWithinBudget() throws Exception {
        // Both of one named network, as nodes are once their coordinator answered.
        LoopbackNet.Started victim = startOn("victim", NETWORK);
        LoopbackNet.Started honest = startOn("honest", NETWORK);
        GossipServiceTest.await(() -> victim.linkedTo(honest.id()) && honest.linkedTo(victim.id()), Duration.ofSeconds(60));
        Set<String> threadsBefore = threadNames();
        logged.watch();
        long started = System.nanoTime();

        int port = victim.gossip().port();
        List<Boolean> hungUp = new ArrayList<>();
        for (int round = 0; round < 12; round++) {
            Identity rogue = Identity.generate();
            // A proof before any hello.
            hungUp.add(exchange(port, out -> RawWire.write(out, PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder()
                    .setProof(ByteString.copyFrom(new byte[64]))).build()), null));
            // A gossip hello, then a second hello where the proof belongs.
            hungUp.add(exchange(port, out -> RawWire.write(out, gossipHello(rogue, info(rogue))),
                    (in, out) -> RawWire.write(out, gossipHello(rogue, info(rogue)))));
            // A whole link, then its hello again on it.
            hungUp.add(exchange(port, out -> RawWire.write(out, gossipHello(rogue, info(rogue))), (in, out) -> {
                RawWire.write(out, proof(rogue, in, victim.id()));
                RawWire.write(out, gossipHello(rogue, info(rogue)));
            }));
            // The honest peer's id in the hello, its record signed by the rogue: a forged identity.
            NodeInfo honestsRecord = NodeInfo.newBuilder().setNode(honest.id().toByteString()).setHost("127.0.0.1")
                    .setPort(honest.gossip().port()).setTimeMs(System.currentTimeMillis()).build();
            hungUp.add(exchange(port, out -> RawWire.write(out, PeerMessage.newBuilder().setHello(Hello.newBuilder()
                    .setProtocolVersion(1).setNode(honest.id().toByteString())
                    .setNodeInfo(Envelopes.sign(rogue, honestsRecord)).setNonce(ByteString.copyFrom(HandshakeProof.newNonce())))
                    .build()), null));
            // Its own record, signed for another network, its key proved: the link is closed once up.
            hungUp.add(exchange(port, out -> RawWire.write(out, gossipHello(rogue, Envelopes.sign(rogue, "another-network",
                    info(rogue).toBuilder().setTimeMs(System.currentTimeMillis()).build()))),
                    (in, out) -> RawWire.write(out, proof(rogue, in, victim.id()))));
            // Bundle bytes nobody asked for, as the first message.
            hungUp.add(exchange(port, out -> {
                RawWire.write(out, PeerMessage.newBuilder().setBundleHeader(BundleHeader.newBuilder().setCommit("a".repeat(40))
                        .setSize(10).setSha256(ByteString.copyFrom(new byte[32]))).build());
                RawWire.write(out, PeerMessage.newBuilder().setBundleChunk(BundleChunk.newBuilder()
                        .setData(ByteString.copyFrom(new byte[10]))).build());
            }, null));
        }

        assertThat(hungUp).as("the node hangs up on every one of them").hasSize(12 * 6).containsOnly(true);
        assertThat(victim.linkedTo(honest.id())).as("the honest link survives").isTrue();
        assertThat(victim.scoreOf(honest.id())).as("the honest peer whose id was forged pays nothing").isZero();
        assertThat(victim.bans(honest.id())).isFalse();
        assertThreadsBounded(threadsBefore);
        logged.assertWarningsWithinBudget(started);
    }

    @Test
    void thousandsOfCommitsAtOnceAndOneCommitFromManyKeysLeaveTheWantsBoundedAndAnHonestBundleArrives() throws Exception {
        LoopbackNet.Started victim = net.start(tmp.resolve("victim"), Identity.generate(), Wants.everything(), null, true);
        LoopbackNet.Started maker = net.start(tmp.resolve("maker"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> victim.linkedTo(maker.id()) && maker.linkedTo(victim.id()), Duration.ofSeconds(60));
        Set<String> threadsBefore = threadNames();
        logged.watch();
        long started = System.nanoTime();
        int port = victim.gossip().port();

        List<Socket> links = new ArrayList<>();
        try {
            // One key claims ten thousand commits in one inventory.
            Identity flooder = Identity.generate();
            List<String> many = new ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                many.add(String.format("%040x", 0xf100d0000L + i));
            }
            links.add(linkAndAnnounce(flooder, port, victim.id(), many));
            // Forty keys claim one commit nobody holds.
            String one = "f".repeat(39) + "1";
            // Their links come and go (the node finds none of them can serve the commit), so the
            // node may rest 127.0.0.1's new connections (links that churn, per network) before all
            // forty are up: a link it refuses is its defence, not a failure of this test.
            for (int k = 0; k < 40; k++) {
                try {
                    links.add(linkAndAnnounce(Identity.generate(), port, victim.id(), List.of(one)));
                } catch (IOException refused) {
                    // rested: the node hung up before or during the handshake
                }
            }
            String real = maker.commitAndAnnounce("real");
            GossipServiceTest.await(() -> victim.repo().has(real), Duration.ofSeconds(60));

            int wanted = LoopbackNet.ask(victim.gossip(), p -> ((GossipCore) p).stats().wanted());
            assertThat(wanted).as("wanted commits, against 10,001 claimed").isLessThanOrEqualTo(
                    dev.rhizome.node.gossip.core.GossipConfig.defaults().maxCommitsPerInventory() + 1);
            assertThat(victim.scoreOf(maker.id())).isZero();
            assertThat(victim.linkedTo(maker.id())).isTrue();
        } finally {
            for (Socket s : links) {
                s.close();
            }
        }
        assertThreadsBounded(threadsBefore);
        logged.assertWarningsWithinBudget(started);
    }

    /**
     * PeerExchangeRequest.max is a uint32: an ask for 2^31 records or more arrived as a negative
     * int and threw in the core's step, so the asker got no answer and the node wrote an ERROR with
     * a stack trace for every such ask (one per link every 10 s). Now it is an ask for the usual sample.
     */
    @Test
    void anAskForMoreThanTwoBillionPeersIsAnsweredWithTheUsualSampleOnEveryLink() throws Exception {
        LoopbackNet.Started victim = startOn("victim", NETWORK);
        LoopbackNet.Started honest = startOn("honest", NETWORK);
        GossipServiceTest.await(() -> victim.linkedTo(honest.id()) && honest.linkedTo(victim.id()), Duration.ofSeconds(60));
        logged.watch();
        long started = System.nanoTime();

        List<Socket> links = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Identity rogue = Identity.generate();
                Socket s = new Socket("127.0.0.1", victim.gossip().port());
                links.add(s);
                s.setSoTimeout(30_000);
                RawWire.write(s.getOutputStream(), gossipHello(rogue, Envelopes.sign(rogue, NETWORK, info(rogue))));
                RawWire.write(s.getOutputStream(), proof(rogue, s.getInputStream(), victim.id()));
                for (int max : new int[] {-1, Integer.MIN_VALUE}) {
                    RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setGossip(Gossip.newBuilder()
                            .setPeerExchangeRequest(PeerExchangeRequest.newBuilder().setMax(max))).build());
                }
                PeerMessage answer;
                do {
                    answer = RawWire.read(s.getInputStream());
                    assertThat(answer).as("the node hung up on rogue %d before answering its ask", i).isNotNull();
                } while (!answer.getGossip().hasPeerExchange());
                assertThat(answer.getGossip().getPeerExchange().getNodesCount()).as("records in the answer").isBetween(1, 32);
            }
            assertThat(victim.linkedTo(honest.id())).isTrue();
            assertThat(victim.scoreOf(honest.id())).isZero();
        } finally {
            for (Socket s : links) {
                s.close();
            }
        }
        logged.assertWarningsWithinBudget(started);
        assertThat(logged.lines()).as("lines at ERROR").noneMatch(e -> e.getLevel() == Level.ERROR);
    }

    /** A completed gossip link as {@code id} that announces {@code commits} in one signed inventory and stays open. */
    private static Socket linkAndAnnounce(Identity id, int port, PublicId victim, List<String> commits) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(30_000);
        RawWire.write(s.getOutputStream(), gossipHello(id, info(id)));
        RawWire.write(s.getOutputStream(), proof(id, s.getInputStream(), victim));
        Inventory claims = Inventory.newBuilder().setNode(id.publicId().toByteString()).addAllCommits(commits)
                .setTimeMs(System.currentTimeMillis()).build();
        RawWire.write(s.getOutputStream(), PeerMessage.newBuilder().setGossip(Gossip.newBuilder()
                .setAnnouncement(Envelopes.sign(id, claims))).build());
        return s;
    }

    @FunctionalInterface
    interface Opening {
        void send(OutputStream out) throws IOException;
    }

    @FunctionalInterface
    interface Then {
        void send(InputStream in, OutputStream out) throws IOException;
    }

    /**
     * One rogue connection: {@code opening} sent, then (if not null) {@code then} once the node's
     * hello came, then whatever the node answers is read until it closes the connection, or for a
     * moment if it keeps it (a link) and we hang up.
     */
    private static boolean exchange(int port, Opening opening, Then then) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            opening.send(s.getOutputStream());
            if (then != null) {
                PeerMessage theirs = RawWire.read(s.getInputStream());
                if (theirs == null) {
                    return true;
                }
                pending.set(theirs);
                try {
                    then.send(s.getInputStream(), s.getOutputStream());
                } finally {
                    // a `then` that sent no proof (or the node hung up first) must not leave this
                    // node's hello for the next link's proof: it signed a stale nonce, and the
                    // next test's first link was refused (broken pipe in a fresh clone's run)
                    pending.remove();
                }
            }
            return drain(s);
        } catch (SocketException closed) {
            return true; // the node hung up first
        }
    }

    /** The node's hello, read by {@link #exchange} before {@code then} runs. */
    private static final ThreadLocal<PeerMessage> pending = new ThreadLocal<>();

    /** Our proof over the nonce of the node's hello (read already by {@link #exchange}, or read here). */
    static PeerMessage proof(Identity id, InputStream in, PublicId victim) throws IOException {
        PeerMessage theirs = pending.get();
        pending.remove();
        if (theirs == null) {
            theirs = RawWire.read(in);
        }
        if (theirs == null) {
            throw new EOFException("the node hung up before its hello");
        }
        return PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder().setProof(ByteString.copyFrom(
                HandshakeProof.sign(id, theirs.getHello().getNonce().toByteArray(), victim)))).build();
    }

    /** Reads what the node says until it hangs up (true), or until it stays quiet for 20 s with the connection open (false). */
    static boolean drain(Socket s) throws IOException {
        s.setSoTimeout(20_000);
        DataInputStream in = new DataInputStream(s.getInputStream());
        try {
            while (RawWire.read(in) != null) {
                // what the node says before it hangs up
            }
            return true;
        } catch (SocketTimeoutException kept) {
            return false;
        } catch (SocketException closed) {
            return true;
        }
    }

    static final String NETWORK = "0123456789abcdef0123456789abcdef";

    /** A listed node whose gossip signs for, and checks records against, {@code network}. */
    private LoopbackNet.Started startOn(String name, String network) throws Exception {
        Identity identity = Identity.generate();
        Path dir = tmp.resolve(name);
        NodeRepository repo = NodeRepository.open(dir.resolve("repo.git"));
        net.open.add(repo);
        GossipNetwork named = GossipNetwork.unnamed();
        named.learn(network);
        GossipSettings settings = GossipSettings.defaults("127.0.0.1", 0, "cpu", dir.resolve("peers.bin"))
                .withTick(Duration.ofMillis(100));
        GossipService gossip = GossipService.start(repo, identity, settings,
                GossipCore.factory(identity, GossipConfig.defaults(), Wants.everything(), named), () -> List.copyOf(net.directory),
                new TransferLog(dir.resolve("transfers.jsonl")), net.group);
        net.open.add(gossip);
        net.directory.add(NodeInfo.newBuilder().setNode(identity.publicId().toByteString()).setHost("127.0.0.1")
                .setPort(gossip.port()).build());
        return new LoopbackNet.Started(identity, repo, gossip);
    }

    static NodeInfo info(Identity id) {
        return NodeInfo.newBuilder().setNode(id.publicId().toByteString()).setHost("127.0.0.1").setPort(1)
                .setTimeMs(System.currentTimeMillis()).build();
    }

    static PeerMessage gossipHello(Identity id, NodeInfo info) {
        return gossipHello(id, Envelopes.sign(id, info));
    }

    private static PeerMessage gossipHello(Identity id, SignedEnvelope info) {
        return PeerMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1).setNode(id.publicId().toByteString())
                .setNodeInfo(info).setNonce(ByteString.copyFrom(HandshakeProof.newNonce()))).build();
    }

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).collect(Collectors.toSet());
    }

    /**
     * No thread per rogue connection: what the node runs now besides what it ran before is its few
     * pools' threads. Those start as work comes (Netty's loops take a thread at their first channel,
     * the fetch and import workers at their first task), so how many of them a run has started
     * depends on the machine's load (11 seen at load 40); a thread a link would be 41 or more.
     */
    private static void assertThreadsBounded(Set<String> before) {
        try {
            GossipServiceTest.await(() -> threadNames().size() <= before.size() + 16, Duration.ofSeconds(60));
        } catch (RuntimeException | AssertionError e) {
            Set<String> now = threadNames();
            now.removeAll(before);
            throw new AssertionError("threads started since: " + new TreeMap<>(now.stream()
                    .collect(Collectors.groupingBy(n -> n.replaceAll("[0-9]+$", ""), Collectors.counting()))), e);
        }
    }
}
