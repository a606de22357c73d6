package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.LoadScaledBudget;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetch connections to a real server on loopback that stop partway: fetchers that ask for a large
 * bundle and never read a byte (what they hold of the holder's memory, Netty's outbound buffer
 * paced by the write mark, and of its upload slots, until the slow-reader rule cuts them), one
 * that sends its request a byte a second, and half-open connections from one address (the
 * descriptors they hold until the handshake deadline).
 */
class NeverReadingFetcherLoopbackTest {
    private static final int CHUNK = 16 << 10;
    private static final int ROGUES = 4;
    // Four slots, 16 KiB chunks (a 10 s slow-reader window), an idle rule too long to be what cuts them.
    private static final PeerConfig FOUR_SLOTS = new PeerConfig(1 << 20, CHUNK, 64L << 20, Duration.ofSeconds(2),
            Duration.ofSeconds(120)).withUploads(ROGUES, 0, 0);
    // The write mark (four chunks) plus the chunk that crossed it, framed, per connection.
    private static final long QUEUED_PER_CONNECTION = 5L * CHUNK + 1024;

    @TempDir
    Path tmp;

    @Test
    void fetchersThatNeverReadHoldAFewChunksOfMemoryEachAndGiveTheirSlotsBackWhenTheRuleCutsThem() throws Exception {
        byte[] noise = new byte[8 << 20];
        new Random(11).nextBytes(noise);
        List<Socket> rogues = new ArrayList<>();
        try (TestNode carol = new TestNode(tmp.resolve("carol"), FOUR_SLOTS)) {
            String big = carol.repo.commitFiles(null, Map.of("weights.bin", noise), "big", PeerTransferTest.AUTHOR);
            for (int i = 0; i < ROGUES; i++) {
                Socket s = openFrom("127.0.0." + (2 + i), carol);
                rogues.add(s);
                s.setReceiveBufferSize(4096);
                RawWire.write(s.getOutputStream(), request(big));
                assertThat(RawWire.read(s.getInputStream()).hasBundleHeader()).as("rogue %d holds an upload slot", i).isTrue();
            }
            AtomicLong mostQueued = new AtomicLong(carol.server.bytesQueued());
            assertThat(mostQueued.get()).as("bytes queued for the rogues once each has its header")
                    .isLessThanOrEqualTo(ROGUES * QUEUED_PER_CONNECTION);
            assertThat(askFrom("127.0.0.9", carol, big).getError().getCode()).as("every slot is the rogues'")
                    .isEqualTo(dev.rhizome.proto.v1.Error.Code.UNAVAILABLE);

            // None reads on: the server writes what their sockets take, then waits, until the rule cuts them.
            Duration window = Duration.ofMillis(new SlowReaderRule(CHUNK).windowMs());
            Duration bound = new LoadScaledBudget(window.multipliedBy(3), window.multipliedBy(9)).now();
            await().atMost(bound).pollInterval(Duration.ofMillis(50)).until(() -> {
                mostQueued.accumulateAndGet(carol.server.bytesQueued(), Math::max);
                return carol.server.openConnections() == askers.size();
            });
            assertThat(mostQueued.get()).as("bytes of the bundle queued in the holder's memory for the rogues at once")
                    .isPositive().isLessThanOrEqualTo(ROGUES * QUEUED_PER_CONNECTION);
            assertThat(carol.server.bytesServed()).as("bytes the rogues' sockets took").isLessThan(ROGUES * (long) noise.length);
            assertThat(carol.server.bytesQueued()).as("what was queued for the rogues, let go with their connections").isZero();

            // Their slots are back: as many new askers are each served from the start.
            for (int i = 0; i < ROGUES; i++) {
                assertThat(askFrom("127.0.0." + (10 + i), carol, big).hasBundleHeader()).as("asker %d after the rogues", i).isTrue();
            }
        } finally {
            rogues.addAll(askers);
            for (Socket s : rogues) {
                s.close();
            }
        }
    }

    @Test
    void connectionsFromOneAddressThatStopMidHandshakeHoldAtMostItsShareOfDescriptorsUntilTheDeadline() throws Exception {
        // Patient idle rule: only the handshake's deadline (10 s) and the per-address half-open bound bound them.
        PeerConfig patient = new PeerConfig(1 << 20, CHUNK, 64L << 20, Duration.ofSeconds(10), Duration.ofSeconds(120));
        List<Socket> halfOpen = new ArrayList<>();
        try (TestNode dave = new TestNode(tmp.resolve("dave"), patient); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = PeerTransferTest.seed(dave);
            AtomicLong mostOpen = new AtomicLong();
            for (int i = 0; i < InboundLimits.MAX_HALF_OPEN_PER_ADDRESS + 144; i++) {
                Socket s = new Socket();
                halfOpen.add(s);
                s.bind(new InetSocketAddress("127.0.0.2", 0));
                s.connect(new InetSocketAddress("127.0.0.1", dave.server.port()));
                s.getOutputStream().write(new byte[] {0, 0, 0, 100, 10});  // a hello's length and its first byte, then nothing
                mostOpen.accumulateAndGet(dave.server.openConnections(), Math::max);
            }
            bob.fetcher.fetch(commit, List.of(dave.endpoint()), TransferProgress.NONE);
            assertThat(bob.repo.has(commit)).as("an honest fetch from another address goes on meanwhile").isTrue();
            Duration bound = new LoadScaledBudget(patient.connectTimeout().multipliedBy(2), Duration.ofSeconds(50)).now();
            await().atMost(bound).pollInterval(Duration.ofMillis(50)).until(() -> {
                mostOpen.accumulateAndGet(dave.server.openConnections(), Math::max);
                return dave.server.openConnections() == 0;
            });
            // Its share, the one over it being closed at accept, and Bob's fetch.
            assertThat(mostOpen.get()).as("descriptors the half-open connections of one address held at once")
                    .isGreaterThanOrEqualTo(InboundLimits.MAX_HALF_OPEN_PER_ADDRESS).isLessThanOrEqualTo(InboundLimits.MAX_HALF_OPEN_PER_ADDRESS + 2);
        } finally {
            for (Socket s : halfOpen) {
                s.close();
            }
        }
    }

    @Test
    void aProvenFetcherSendingItsRequestAByteASecondIsCutAtTheFrameDeadlineWhileOthersAreServed() throws Exception {
        // Its key proven (no handshake deadline left) and never idle: only the frame deadline can end it.
        PeerConfig patient = new PeerConfig(1 << 20, CHUNK, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(120));
        try (TestNode dave = new TestNode(tmp.resolve("dave"), patient); TestNode bob = new TestNode(tmp.resolve("bob"));
             Socket trickler = openFrom("127.0.0.2", dave)) {
            String commit = PeerTransferTest.seed(dave);
            OutputStream out = trickler.getOutputStream();
            long started = System.nanoTime();
            out.write(new byte[] {0, 0, 0, 100});  // a 100-byte request, then a byte of it a second
            bob.fetcher.fetch(commit, List.of(dave.endpoint()), TransferProgress.NONE);
            assertThat(bob.repo.has(commit)).as("an honest fetch goes on meanwhile").isTrue();
            Duration deadline = Duration.ofMillis(FrameDeadline.deadlineMs(100));
            await().atMost(new LoadScaledBudget(deadline.multipliedBy(2), deadline.multipliedBy(5)).now())
                    .pollInterval(Duration.ofSeconds(1)).until(() -> {
                        try {
                            out.write(10);
                            return false;
                        } catch (IOException closed) {
                            return true;
                        }
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("not cut before its deadline").isGreaterThanOrEqualTo(deadline);
        }
    }

    private final List<Socket> askers = new ArrayList<>();

    /** A new fetch connection from {@code address} (kept open to the end of the test) and the server's first answer to a request. */
    private PeerMessage askFrom(String address, TestNode server, String commit) throws IOException {
        Socket s = openFrom(address, server);
        askers.add(s);
        RawWire.write(s.getOutputStream(), request(commit));
        return RawWire.read(s.getInputStream());
    }

    private static Socket openFrom(String address, TestNode server) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(address, 0));
        s.connect(new InetSocketAddress("127.0.0.1", server.server.port()));
        s.setSoTimeout(10_000);
        assertThat(RawWire.openFetch(s.getInputStream(), s.getOutputStream(), Identity.generate()).hasHelloProof()).isTrue();
        return s;
    }

    private static PeerMessage request(String commit) {
        return PeerMessage.newBuilder().setBundleRequest(BundleRequest.newBuilder().setCommit(commit).setOffset(0)).build();
    }
}
