package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.HandshakeTurns;
import dev.rhizome.node.gossip.net.LoopbackNet.Started;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The many-address handshake case over the wire: a rogue on 18 loopback addresses in as many /24s
 * of 127.0/16 (one network as {@code HandshakeTurns} and {@code InboundLimits} count them, 18 as
 * {@code RelinkChurn} counts them) floods the node's inbound handshake queue with valid hellos of
 * made-up nodes, hanging up as soon as each is answered and dialling again, while an honest node at
 * 127.0.0.1 (the same /16) dials in. The honest node links while the flood goes on, and the rogue
 * gets no more answers than the handshake budget (with {@code HandshakeGate} answering at once,
 * hundreds in 5 s). Each rogue address rests after its 12 abandoned handshakes, so the queue is
 * full only moments here; {@code HandshakeTurnsTest} holds it full.
 */
class ManyAddressHandshakeLoopbackTest extends RogueLoopbackTest {
    /** Waiting hellos live past the flood's length, so the queue fills with live ones, not expired ones. */
    static final PeerConfig PATIENT = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(60), Duration.ofSeconds(5));
    static final int ROGUE_ADDRESSES = 18;
    /** Past the queue's share of an address (64), so each address is at its share. */
    static final int PER_ADDRESS = 68;

    @Test
    void aRogueOnManyAddressesOfTheHonestNodesNetworkCannotKeepItFromLinking() throws Exception {
        Identity aId = Identity.generate();
        Started a = net.startWith(tmp.resolve("a"), aId, honest(1).apply(aId), PATIENT, List::of);
        List<byte[]> frames = madeUpHellos(256);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger opened = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread rogue = new Thread(() -> {
            try {
                List<String> from = new ArrayList<>();
                for (int r = 0; r < ROGUE_ADDRESSES; r++) {
                    from.add("127.0." + (1 + r) + ".2");  // a /24 each: churn rests count each on its own
                }
                flood(new InetSocketAddress("127.0.0.1", a.gossip().port()), from, frames, stop, answered, opened);
            } catch (Throwable e) {
                failed.set(e);
            }
        }, "many-address-rogue");
        rogue.setDaemon(true);
        long floodFrom = System.nanoTime();
        rogue.start();
        try {
            // The rogue's hellos fill the queue: the budget's first second answered, the rest waiting.
            GossipServiceTest.await(() -> opened.get() >= HandshakeTurns.PER_SECOND * 2 + 1024 || failed.get() != null,
                    Duration.ofSeconds(60));
            assertThat(failed.get()).isNull();
            Started b = start("b", honest(2), List.of(info(a)));
            // Before, the honest address's hello was refused while the rogue's 18 addresses kept the queue full.
            GossipServiceTest.await(() -> linked(a).contains(b.identity().publicId()), Duration.ofSeconds(45));
            assertThat(failed.get()).isNull();
            assertThat(rogue.isAlive()).as("the flood went on meanwhile").isTrue();
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - floodFrom) + 1;
            assertThat(answered.get()).as("the rogue's hellos answered in %d s: a burst and %d a second at most", seconds,
                    HandshakeTurns.PER_SECOND).isLessThanOrEqualTo((int) (HandshakeTurns.PER_SECOND * (seconds + 1)));
            assertThat(linked(a)).as("no made-up node linked without a proof").containsExactly(b.identity().publicId());
        } finally {
            stop.set(true);
            rogue.join(30_000);
        }
    }

    /** Valid gossip hellos of made-up nodes, each framed, to flood with. */
    static List<byte[]> madeUpHellos(int count) {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Identity made = Identity.generate();
            SignedEnvelope info = Envelopes.sign(made, NodeInfo.newBuilder().setNode(made.publicId().toByteString())
                    .setHost("127.0.0.1").setPort(1).setTimeMs(System.currentTimeMillis()).build());
            byte[] body = PeerMessage.newBuilder().setHello(hello(made).setNodeInfo(info)).build().toByteArray();
            frames.add(ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array());
        }
        return frames;
    }

    /**
     * Dials from each of {@code rogueAddresses} up to {@link #PER_ADDRESS} connections, each sending one hello;
     * one the node answers or closes is closed and dialled again, at most 400 dials a second (the
     * pace is the attack, not a wait for a condition).
     */
    static void flood(InetSocketAddress target, List<String> rogueAddresses, List<byte[]> frames, AtomicBoolean stop,
            AtomicInteger answered, AtomicInteger opened) throws IOException, InterruptedException {
        Map<String, Integer> open = new HashMap<>();
        ByteBuffer sink = ByteBuffer.allocate(64 << 10);
        try (Selector selector = Selector.open()) {
            while (!stop.get()) {
                long second = System.nanoTime();
                int dialled = 0;
                for (int r = 0; r < rogueAddresses.size() && dialled < 40; r++) {
                    String from = rogueAddresses.get(r);
                    while (open.getOrDefault(from, 0) < PER_ADDRESS && dialled < 40) {
                        SocketChannel ch = SocketChannel.open();
                        ch.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
                        ch.connect(target);
                        ch.write(ByteBuffer.wrap(frames.get(opened.getAndIncrement() % frames.size())));
                        ch.configureBlocking(false);
                        ch.register(selector, SelectionKey.OP_READ, from);
                        open.merge(from, 1, Integer::sum);
                        dialled++;
                    }
                }
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    SocketChannel ch = (SocketChannel) key.channel();
                    sink.clear();
                    int read;
                    try {
                        read = ch.read(sink);
                    } catch (IOException reset) {
                        read = -1;
                    }
                    if (read != 0) {
                        if (read > 0) {
                            answered.incrementAndGet();
                        }
                        key.cancel();
                        ch.close();
                        open.merge((String) key.attachment(), -1, Integer::sum);
                    }
                }
                selector.selectedKeys().clear();
                long left = TimeUnit.MILLISECONDS.toNanos(100) - (System.nanoTime() - second);
                if (left > 0) {
                    TimeUnit.NANOSECONDS.sleep(left);
                }
            }
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
        }
    }
}
