package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.git.BundleFile;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server facing raw clients that break the protocol: each is cut off, and the server carries on. */
class PeerServerRobustnessTest {
    @TempDir
    Path tmp;

    TestNode alice;
    String seed;

    @BeforeEach
    void setUp() throws Exception {
        alice = new TestNode(tmp.resolve("alice"));
        seed = PeerTransferTest.seed(alice);
    }

    @AfterEach
    void tearDown() {
        alice.close();
    }

    @Test
    void aFrameOverTheLimitClosesThatConnectionAndTheServerKeepsServing() throws Exception {
        try (Socket attacker = connect()) {
            DataOutputStream out = new DataOutputStream(attacker.getOutputStream());
            out.writeInt(TestNode.CONFIG.maxFrameBytes() + 1);
            out.write(new byte[1024]);
            out.flush();
            PeerMessage answer = RawWire.read(attacker.getInputStream());
            assertThat(answer.getError().getCode()).isEqualTo(Error.Code.BAD_REQUEST);
            assertThat(answer.getError().getMessage()).contains("frame over the size limit");
            assertClosed(attacker);
        }
        assertStillServes();
    }

    @Test
    void aMalformedFrameClosesTheConnection() throws Exception {
        try (Socket attacker = connect()) {
            RawWire.writeFrame(attacker.getOutputStream(), new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
            assertThat(RawWire.read(attacker.getInputStream()).getError().getMessage()).contains("malformed frame");
            assertClosed(attacker);
        }
        assertStillServes();
    }

    @Test
    void aRequestBeforeHelloOrAMessageOutOfPlaceIsRefused() throws Exception {
        try (Socket rude = connect()) {
            RawWire.write(rude.getOutputStream(), request(seed, 0));
            assertThat(RawWire.read(rude.getInputStream()).getError().getMessage()).isEqualTo("bundle request before hello");
            assertClosed(rude);
        }
        try (Socket confused = connect()) {
            RawWire.write(confused.getOutputStream(), PeerMessages.hello(Identity.generate(), HandshakeProof.newNonce()));
            RawWire.write(confused.getOutputStream(), PeerMessages.error(Error.Code.INTERNAL, "boo"));
            assertThat(RawWire.read(confused.getInputStream()).hasHello()).isTrue();
            assertThat(RawWire.read(confused.getInputStream()).getError().getMessage()).contains("unexpected ERROR");
            assertClosed(confused);
        }
        assertStillServes();
    }

    @Test
    void anUnknownCommitIsNotFoundAndTheConnectionStaysUsable() throws Exception {
        try (Socket client = connect()) {
            OutputStream out = client.getOutputStream();
            InputStream in = client.getInputStream();
            assertThat(RawWire.openFetch(in, out, Identity.generate()).hasHelloProof()).isTrue();
            RawWire.write(out, request("b".repeat(40), 0));
            assertThat(RawWire.read(in).getError().getCode()).isEqualTo(Error.Code.NOT_FOUND);

            RawWire.write(out, request(seed, 0));
            assertThat(receiveBundle(in, 0)).isEqualTo(Files.readAllBytes(alice.repo.bundle(seed, List.of()).path()));
        }
    }

    @Test
    void aRequestWithAnOffsetResumesThere() throws Exception {
        BundleFile bundle = alice.repo.bundle(seed, List.of());
        byte[] whole = Files.readAllBytes(bundle.path());
        int offset = whole.length / 2;
        try (Socket client = connect()) {
            assertThat(RawWire.openFetch(client.getInputStream(), client.getOutputStream(), Identity.generate()).hasHelloProof()).isTrue();
            RawWire.write(client.getOutputStream(), request(seed, offset));

            assertThat(receiveBundle(client.getInputStream(), offset)).isEqualTo(Arrays.copyOfRange(whole, offset, whole.length));
        }
    }

    @Test
    void aReaderThatTricklesLosesItsUploadSlotAndTheNextAskerIsServed() throws Exception {
        // One upload slot, small chunks, and an idle rule too long to be what cuts the trickler.
        PeerConfig config = new PeerConfig(1 << 20, 16 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(120))
                .withUploads(1, 0, 0);
        byte[] noise = new byte[8 << 20];
        new Random(7).nextBytes(noise);
        try (TestNode carol = new TestNode(tmp.resolve("carol"), config);
             TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String big = carol.repo.commitFiles(null, Map.of("weights.bin", noise), "big", PeerTransferTest.AUTHOR);
            String small = PeerTransferTest.seed(carol);
            try (Socket trickler = new Socket()) {
                trickler.setReceiveBufferSize(4096);
                trickler.connect(new InetSocketAddress("127.0.0.1", carol.server.port()));
                                InputStream in = trickler.getInputStream();
                assertThat(RawWire.openFetch(in, trickler.getOutputStream(), Identity.generate()).hasHelloProof()).isTrue();
                RawWire.write(trickler.getOutputStream(), request(big, 0));
                assertThat(RawWire.read(in).hasBundleHeader()).isTrue();
                Thread reader = new Thread(() -> {
                    byte[] sip = new byte[512];
                    try {
                        while (in.read(sip) >= 0) {
                            Thread.sleep(500);  // 1 KiB/s, a sixth of the floor
                        }
                    } catch (IOException | InterruptedException e) {
                        // cut off, as it should be
                    }
                });
                reader.setDaemon(true);
                reader.start();

                assertThatThrownBy(() -> bob.fetcher.fetch(small, List.of(carol.endpoint()), TransferProgress.NONE))
                        .as("the only slot is the trickler's").hasMessageContaining("busy");
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                        .until(() -> bob.fetcher.fetch(small, List.of(carol.endpoint()), TransferProgress.NONE) != null);
                reader.interrupt();
            }
        }
    }

    @Test
    void aSteadySlowReaderThroughASmallReceiveBufferKeepsItsUploadSlot() throws Exception {
        // As above, but the reader takes a steady 16 KB/s (two and a half times the fetch side's floor).
        // The kernel reports the full socket writable only once a third of its send buffer (megabytes
        // on loopback) is free, so without the write attempts between those wakeups no chunk left for
        // tens of seconds and this reader was cut as a staller after 10.
        PeerConfig config = new PeerConfig(1 << 20, 16 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(120))
                .withUploads(1, 0, 0);
        byte[] noise = new byte[8 << 20];
        new Random(8).nextBytes(noise);
        long rate = 16_000;
        long needed = 3 * SlowReaderRule.MIN_WINDOW_MS / 1000 * rate; // three stall windows' worth
        try (TestNode carol = new TestNode(tmp.resolve("carol"), config);
             TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String big = carol.repo.commitFiles(null, Map.of("weights.bin", noise), "big", PeerTransferTest.AUTHOR);
            String small = PeerTransferTest.seed(carol);
            try (Socket slow = new Socket()) {
                slow.setReceiveBufferSize(4096);
                slow.connect(new InetSocketAddress("127.0.0.1", carol.server.port()));
                                InputStream in = slow.getInputStream();
                assertThat(RawWire.openFetch(in, slow.getOutputStream(), Identity.generate()).hasHelloProof()).isTrue();
                RawWire.write(slow.getOutputStream(), request(big, 0));
                assertThat(RawWire.read(in).hasBundleHeader()).isTrue();
                AtomicLong got = new AtomicLong();
                AtomicBoolean cut = new AtomicBoolean();
                Thread reader = new Thread(() -> {
                    byte[] sip = new byte[1024];
                    long start = System.nanoTime();
                    try {
                        int n;
                        while ((n = in.read(sip)) >= 0) {
                            long due = got.addAndGet(n) * 1_000_000_000L / rate;
                            long sleepMs = (due - (System.nanoTime() - start)) / 1_000_000;
                            if (sleepMs > 0) {
                                Thread.sleep(sleepMs);  // the behaviour: a reader held to `rate`
                            }
                        }
                        cut.set(true);
                    } catch (IOException e) {
                        cut.set(true);
                    } catch (InterruptedException e) {
                        // the test is done with it
                    }
                });
                reader.setDaemon(true);
                reader.start();

                // A cut reader still drains what the kernel held for it (megabytes), so the reader alone
                // can't tell: the only slot must still be its own once it took three windows' worth.
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                        .until(() -> cut.get() || got.get() >= needed);
                assertThat(cut.get()).as("connection ended after %d bytes", got.get()).isFalse();
                assertThatThrownBy(() -> bob.fetcher.fetch(small, List.of(carol.endpoint()), TransferProgress.NONE))
                        .as("the slow reader still holds the only slot").hasMessageContaining("busy");
                reader.interrupt();
            }
        }
    }

    /** A server with the default 8 upload slots, small chunks, and an idle rule too long to cut anyone here. */
    private static final PeerConfig EIGHT_SLOTS = new PeerConfig(1 << 20, 16 << 10, 64L << 20, Duration.ofSeconds(2),
            Duration.ofSeconds(120));

    @Test
    void aRogueHoldingEveryUploadSlotFromOneAddressCannotKeepAnHonestFetchOut() throws Exception {
        // Eight connections from 127.0.0.2, each with an invented id, each reading steadily but slowly.
        rogueHoldsEverySlot(i -> "127.0.0.2", i -> Identity.generate(), (carol, small, big, rogue) -> {
            try (TestNode bob = new TestNode(tmp.resolve("bob"))) {
                // Bob (127.0.0.1) is served at once, in place of one of the rogue's uploads.
                bob.fetcher.fetch(small, List.of(carol.endpoint()), TransferProgress.NONE);
                assertThat(bob.repo.has(small)).isTrue();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> endedEarly.contains(Error.Code.UNAVAILABLE));
            // Bob is done: his slot is free for anyone, the rogue too; once all are taken again, it is BUSY.
            assertThat(askFrom("127.0.0.2", Identity.generate(), carol, big, rogue).hasBundleHeader()).isTrue();
            assertThat(askFrom("127.0.0.2", Identity.generate(), carol, big, rogue).getError().getCode())
                    .as("the rogue, over its share, is told BUSY").isEqualTo(Error.Code.UNAVAILABLE);
        });
    }

    @Test
    void aRogueHoldingEveryUploadSlotUnderOneIdFromManyAddressesCannotKeepAnHonestFetchOut() throws Exception {
        Identity rogueId = Identity.generate();
        rogueHoldsEverySlot(i -> "127.0.0." + (2 + i), i -> rogueId, (carol, small, big, rogue) -> {
            try (TestNode bob = new TestNode(tmp.resolve("bob"))) {
                bob.fetcher.fetch(small, List.of(carol.endpoint()), TransferProgress.NONE);
                assertThat(bob.repo.has(small)).isTrue();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> endedEarly.contains(Error.Code.UNAVAILABLE));
            assertThat(askFrom("127.0.0.20", rogueId, carol, big, rogue).hasBundleHeader()).isTrue();
            assertThat(askFrom("127.0.0.21", rogueId, carol, big, rogue).getError().getCode())
                    .as("the rogue's id, over its share, is told BUSY from a new address too").isEqualTo(Error.Code.UNAVAILABLE);
        });
    }

    @Test
    void sybilsOnManyAddressesHoldingEverySlotAreRotatedOutAfterTheirTenure() throws Exception {
        // One slot each, inside every share: only the rotation after UploadSlots.MIN_TENURE_MS lets bob in.
        rogueHoldsEverySlot(i -> "127.0.0." + (2 + i), i -> Identity.generate(), (carol, small, big, rogue) -> {
            try (TestNode bob = new TestNode(tmp.resolve("bob"))) {
                assertThatThrownBy(() -> bob.fetcher.fetch(small, List.of(carol.endpoint()), TransferProgress.NONE))
                        .as("every upload is younger than its tenure").hasMessageContaining("busy");
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                        .until(() -> bob.fetcher.fetch(small, List.of(carol.endpoint()), TransferProgress.NONE) != null);
                assertThat(bob.repo.has(small)).isTrue();
            }
            // In a rogue upload's place, told BUSY mid-stream (not after it ended by itself or was cut as a staller).
            await().atMost(Duration.ofSeconds(60)).until(() -> endedEarly.contains(Error.Code.UNAVAILABLE));
        });
    }

    @Test
    void aPeerAskingWithoutReadingTheAnswersIsCutBeforeTheyPileUp() throws Exception {
        // Every slot is held, so each request from 127.0.0.2 (over its share) is answered BUSY at once
        // and the connection stays open for the next. This one never reads: before, every BUSY was
        // queued in the server's memory, as many as the rogue cared to ask (64 MiB of requests, some
        // 130 MB of answers held for it); now the server cuts it once answers wait past its buffer.
        rogueHoldsEverySlot(i -> "127.0.0.2", i -> Identity.generate(), (carol, small, big, rogue) -> {
            Socket s = new Socket();
            rogue.add(s);
            s.setReceiveBufferSize(4096);
            s.bind(new InetSocketAddress("127.0.0.2", 0));
            s.connect(new InetSocketAddress("127.0.0.1", carol.server.port()));
            assertThat(RawWire.openFetch(s.getInputStream(), s.getOutputStream(), Identity.generate()).hasHelloProof()).isTrue();
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            while (frames.size() < 64 << 10) {
                RawWire.write(frames, request(big, 0));
            }
            byte[] block = frames.toByteArray();
            long limit = 64L << 20;
            long[] written = {0};
            Thread asker = new Thread(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    while (written[0] < limit) {
                        out.write(block);
                        written[0] += block.length;
                    }
                } catch (IOException cut) {
                    // the server closed the connection
                }
            });
            asker.setDaemon(true);
            asker.start();
            await().atMost(Duration.ofSeconds(180)).until(() -> !asker.isAlive());
            assertThat(written[0]).as("bytes of requests the server took without their answers being read").isLessThan(limit);

            // The slots' holders are untouched, and a reader that reads is still answered.
            assertThat(askFrom("127.0.0.2", Identity.generate(), carol, big, rogue).getError().getCode())
                    .isEqualTo(Error.Code.UNAVAILABLE);
        });
    }

    @Test
    void tinyRangesAskedOneAfterAnotherStayWithinTheUploadPace() throws Exception {
        // Paced at 1 KiB/s (burst 1 KiB). Each range of one byte went out as a header, a one-byte chunk
        // and an end, and only the chunk was paced: a peer asking range after range took headers and
        // ends as fast as it could ask (an upload cap of the volunteer's, passed by asking small).
        PeerConfig paced = new PeerConfig(1 << 20, 1 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(120))
                .withUploads(8, 1 << 10, 1 << 10);
        try (TestNode carol = new TestNode(tmp.resolve("carol"), paced); Socket s = new Socket("127.0.0.1", carol.server.port())) {
            String small = PeerTransferTest.seed(carol);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            assertThat(RawWire.openFetch(in, out, Identity.generate()).hasHelloProof()).isTrue();
            long started = System.nanoTime();
            long received = 0;
            int ranges = 0;
            while (System.nanoTime() - started < 4_000_000_000L) {
                RawWire.write(out, PeerMessage.newBuilder().setBundleRequest(BundleRequest.newBuilder().setCommit(small)
                        .setLength(1)).build());
                for (PeerMessage m = RawWire.read(in); ; m = RawWire.read(in)) {
                    received += m.getSerializedSize() + 4;
                    if (m.hasBundleEnd()) {
                        break;
                    }
                    assertThat(m.hasError()).as("answer %s", m).isFalse();
                }
                ranges++;
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            // What the pace allows in that time (its burst, then its rate), a quarter more for what it
            // does not count (frame prefixes, a chunk's own fields), and one answer's worth.
            assertThat(received).as("bytes of %d one-byte ranges in %.1f s", ranges, seconds)
                    .isLessThanOrEqualTo((long) ((1024 + 1024 * seconds) * 1.25) + 512);
        }
    }

    private final List<Error.Code> endedEarly = Collections.synchronizedList(new ArrayList<>());

    interface RogueScene {
        void play(TestNode server, String small, String big, List<Socket> rogue) throws Exception;
    }

    /**
     * Starts a server whose 8 upload slots are all held by uploads of an 8 MiB bundle to connection
     * {@code i} from {@code address(i)} saying hello as {@code id(i)}, each read at about 128 KiB/s
     * (an upload takes a minute, and the stall rule never cuts it), then plays {@code scene} with a
     * small commit to fetch and the big one. A rogue connection whose upload is ended early (an
     * error mid-stream, after its header) adds the error's code to {@link #endedEarly}.
     */
    private void rogueHoldsEverySlot(IntFunction<String> address, IntFunction<Identity> id,
                                     RogueScene scene) throws Exception {
        byte[] noise = new byte[8 << 20];
        new Random(7).nextBytes(noise);
        List<Socket> rogue = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        try (TestNode carol = new TestNode(tmp.resolve("carol"), EIGHT_SLOTS)) {
            String big = carol.repo.commitFiles(null, Map.of("weights.bin", noise), "big", PeerTransferTest.AUTHOR);
            String small = PeerTransferTest.seed(carol);
            for (int i = 0; i < PeerConfig.DEFAULT_MAX_UPLOADS; i++) {
                Socket s = new Socket();
                rogue.add(s);
                s.setReceiveBufferSize(4096);
                s.bind(new InetSocketAddress(address.apply(i), 0));
                s.connect(new InetSocketAddress("127.0.0.1", carol.server.port()));
                s.setSoTimeout(10_000);
                                InputStream in = s.getInputStream();
                assertThat(RawWire.openFetch(in, s.getOutputStream(), id.apply(i)).hasHelloProof()).isTrue();
                RawWire.write(s.getOutputStream(), request(big, 0));
                assertThat(RawWire.read(in).hasBundleHeader()).as("connection %d holds an upload slot", i).isTrue();
                Thread reader = new Thread(() -> {
                    try {
                        int read = 0;
                        for (PeerMessage m = RawWire.read(in); m != null; m = RawWire.read(in)) {
                            if (m.hasError()) {
                                endedEarly.add(m.getError().getCode());
                                return;
                            }
                            if (++read % 2 == 0) {
                                Thread.sleep(250);  // two 16 KiB chunks a quarter second
                            }
                        }
                    } catch (IOException | InterruptedException e) {
                        // closed at the end of the test
                    }
                });
                reader.setDaemon(true);
                reader.start();
                readers.add(reader);
            }
            scene.play(carol, small, big, rogue);
        } finally {
            readers.forEach(Thread::interrupt);
            for (Socket s : rogue) {
                s.close();
            }
        }
    }

    /**
     * One more request from {@code address} as {@code id}, on a connection left open in {@code keep}:
     * the server's first answer after its hello.
     */
    private static PeerMessage askFrom(String address, Identity id, TestNode server, String commit, List<Socket> keep)
            throws IOException {
        Socket s = new Socket();
        keep.add(s);
        {
            s.bind(new InetSocketAddress(address, 0));
            s.connect(new InetSocketAddress("127.0.0.1", server.server.port()));
            s.setSoTimeout(10_000);
            assertThat(RawWire.openFetch(s.getInputStream(), s.getOutputStream(), id).hasHelloProof()).isTrue();
            RawWire.write(s.getOutputStream(), request(commit, 0));
            return RawWire.read(s.getInputStream());
        }
    }

    @Test
    void aConnectionThatTricklesBytesWithoutEverCompletingAMessageIsClosedAtTheDeadline() throws Exception {
        try (Socket trickler = connect()) {
            OutputStream out = trickler.getOutputStream();
            long started = System.nanoTime();
            out.write(new byte[] {0, 0, 0, 100});  // a 100-byte frame, then a byte of it now and then: never idle, never whole
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).until(() -> {
                try {
                    out.write(0);
                    return false;
                } catch (IOException closed) {
                    return true;
                }
            });
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(TestNode.CONFIG.connectTimeout());
        }
        assertStillServes();
    }

    @Test
    void aFetcherThatSaysHelloAndNeverProvesItsKeyIsClosedAtTheDeadlineWhileAProvenOneStays() throws Exception {
        // The idle rule is far off here: only the handshake's deadline can close the silent one.
        PeerConfig patient = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(120));
        try (TestNode erin = new TestNode(tmp.resolve("erin"), patient)) {
            String commit = PeerTransferTest.seed(erin);
            long started = System.nanoTime();  // before the server accepts: its deadline runs from then
            try (Socket helloOnly = new Socket("127.0.0.1", erin.server.port());
                 Socket proven = new Socket("127.0.0.1", erin.server.port())) {
                helloOnly.setSoTimeout(30_000);
                proven.setSoTimeout(30_000);
                RawWire.write(helloOnly.getOutputStream(), PeerMessages.hello(Identity.generate(), HandshakeProof.newNonce()));
                assertThat(RawWire.read(helloOnly.getInputStream()).hasHello()).isTrue();
                assertThat(RawWire.openFetch(proven.getInputStream(), proven.getOutputStream(), Identity.generate()).hasHelloProof())
                        .isTrue();

                assertThat(RawWire.read(helloOnly.getInputStream())).as("closed without a word").isNull();
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(patient.connectTimeout());
                // Past the same deadline, the fetcher that proved its key is still served.
                RawWire.write(proven.getOutputStream(), request(commit, 0));
                assertThat(RawWire.read(proven.getInputStream()).hasBundleHeader()).isTrue();
            }
        }
    }

    /** Connections that proved their keys count against their address's share of all connections, not its half-open bound. */
    @Test
    void oneAddressCannotHoldMoreThanItsShareOfConnections() throws Exception {
        PeerConfig patient = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(60), Duration.ofSeconds(60));
        List<Socket> held = new ArrayList<>();
        try (TestNode dave = new TestNode(tmp.resolve("dave"), patient)) {
            for (int i = 0; i < InboundLimits.MAX_PER_ADDRESS; i++) {
                Socket s = new Socket("127.0.0.1", dave.server.port());
                held.add(s);
                s.setSoTimeout(10_000);
                assertThat(RawWire.openFetch(s.getInputStream(), s.getOutputStream(), Identity.generate()).hasHelloProof())
                        .as("each of its share is served").isTrue();
            }
            try (Socket oneTooMany = new Socket("127.0.0.1", dave.server.port())) {
                oneTooMany.setSoTimeout(5000);
                assertClosed(oneTooMany);
            }
            held.remove(0).close();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                Socket again = new Socket("127.0.0.1", dave.server.port());
                held.add(again);
                again.setSoTimeout(5000);
                assertThat(RawWire.openFetch(again.getInputStream(), again.getOutputStream(), Identity.generate()).hasHelloProof())
                        .as("a freed place is taken again").isTrue();
            });
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /**
     * A rogue on one address holding handshakes open (a hello each, never a proof) holds at most its
     * address's bound of them: the next from that address is closed at accept, before a byte is
     * read, while another address is still answered. An honest peer sharing the rogue's address (a
     * NAT mate) is let in as soon as one of them ends, and once it has proved its key it no longer
     * counts against the address: the rogue gets no more than its bound back.
     */
    @Test
    void halfOpenConnectionsFromOneAddressAreCappedAndAnHonestPeerThereIsServedOnceOneEnds() throws Exception {
        PeerConfig patient = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(60), Duration.ofSeconds(60));
        List<Socket> rogue = new ArrayList<>();
        try (TestNode dave = new TestNode(tmp.resolve("dave"), patient)) {
            String commit = PeerTransferTest.seed(dave);
            for (int i = 0; i < InboundLimits.MAX_HALF_OPEN_PER_ADDRESS; i++) {
                rogue.add(helloOnly("127.0.0.1", dave));
            }
            try (Socket oneTooMany = new Socket("127.0.0.1", dave.server.port())) {
                oneTooMany.setSoTimeout(5000);
                try {
                    RawWire.write(oneTooMany.getOutputStream(), PeerMessages.hello(Identity.generate(), HandshakeProof.newNonce()));
                } catch (java.net.SocketException closedAtAccept) {
                    // Closed at accept before our hello was written (a broken pipe, at load): the outcome asserted below.
                }
                assertClosed(oneTooMany);
            }
            rogue.add(helloOnly("127.0.0.2", dave));  // another address is answered meanwhile

            rogue.remove(0).close();
            Socket honest = await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                Socket s = new Socket("127.0.0.1", dave.server.port());
                try {
                    s.setSoTimeout(10_000);
                    assertThat(RawWire.openFetch(s.getInputStream(), s.getOutputStream(), Identity.generate()).hasHelloProof()).isTrue();
                    return s;
                } catch (IOException | AssertionError refused) {
                    s.close();
                    throw refused;
                }
            }, java.util.Objects::nonNull);
            try (honest) {
                rogue.add(helloOnly("127.0.0.1", dave));  // the honest peer's place is no longer a half-open one
                try (Socket oneTooMany = new Socket("127.0.0.1", dave.server.port())) {
                    oneTooMany.setSoTimeout(5000);
                    assertClosed(oneTooMany);
                }
                RawWire.write(honest.getOutputStream(), request(commit, 0));
                assertThat(RawWire.read(honest.getInputStream()).hasBundleHeader()).as("the honest peer is served").isTrue();
            }
        } finally {
            for (Socket s : rogue) {
                s.close();
            }
        }
    }

    /** A connection from {@code from} whose hello was answered, and which says nothing more. */
    private static Socket helloOnly(String from, TestNode server) throws IOException {
        Socket s = new Socket();
        try {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(new InetSocketAddress("127.0.0.1", server.server.port()));
            s.setSoTimeout(10_000);
            RawWire.write(s.getOutputStream(), PeerMessages.hello(Identity.generate(), HandshakeProof.newNonce()));
            assertThat(RawWire.read(s.getInputStream()).hasHello()).as("a hello from " + from + " answered").isTrue();
            return s;
        } catch (IOException | AssertionError e) {
            s.close();
            throw e;
        }
    }

    /**
     * Connections that never say who they are from several addresses, each its address's bound of
     * half-open ones, fill the server's half-open bound (and a rogue opens them again as they
     * close): every other peer would be refused. The places are shared, and an honest fetch from
     * another address takes the place of one of them.
     */
    @Test
    void connectionsThatNeverProveAnythingFromFourAddressesDoNotKeepAnHonestFetchOut() throws Exception {
        PeerConfig patient = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(120), Duration.ofSeconds(120));
        List<Socket> held = new ArrayList<>();
        try (TestNode dave = new TestNode(tmp.resolve("dave"), patient)) {
            String commit = PeerTransferTest.seed(dave);
            for (int a = 0; a < InboundLimits.MAX_HALF_OPEN / InboundLimits.MAX_HALF_OPEN_PER_ADDRESS; a++) {
                for (int i = 0; i < InboundLimits.MAX_HALF_OPEN_PER_ADDRESS; i++) {
                    Socket s = new Socket();
                    held.add(s);
                    s.bind(new InetSocketAddress("127.0.0." + (2 + a), 0));
                    s.connect(new InetSocketAddress("127.0.0.1", dave.server.port()));
                }
            }
            // The last of them is in once a hello on it is answered (the server accepts in order).
            Socket last = held.get(held.size() - 1);
            last.setSoTimeout(10_000);
            RawWire.write(last.getOutputStream(), PeerMessages.hello(Identity.generate(), HandshakeProof.newNonce()));
            assertThat(RawWire.read(last.getInputStream()).hasHello()).isTrue();

            try (TestNode bob = new TestNode(tmp.resolve("bob"))) {
                bob.fetcher.fetch(commit, List.of(dave.endpoint()), TransferProgress.NONE);
                assertThat(bob.repo.has(commit)).isTrue();
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    private void assertStillServes() throws Exception {
        try (TestNode bob = new TestNode(tmp.resolve("bob-" + System.nanoTime()))) {
            bob.fetcher.fetch(seed, List.of(alice.endpoint()), TransferProgress.NONE);
            assertThat(bob.repo.readFile(seed, "README.md")).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("seed"));
        }
    }

    /** Reads header, chunks from {@code offset} and end; returns the chunk bytes. */
    private byte[] receiveBundle(InputStream in, long offset) throws IOException {
        PeerMessage header = RawWire.read(in);
        assertThat(header.getBundleHeader().getCommit()).isEqualTo(seed);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        List<Long> offsets = new ArrayList<>();
        for (PeerMessage m = RawWire.read(in); !m.hasBundleEnd(); m = RawWire.read(in)) {
            offsets.add(m.getBundleChunk().getOffset());
            m.getBundleChunk().getData().writeTo(data);
        }
        assertThat(offsets).first().isEqualTo(offset);
        assertThat(offset + data.size()).isEqualTo(header.getBundleHeader().getSize());
        return data.toByteArray();
    }

    private static PeerMessage request(String commit, long offset) {
        return PeerMessage.newBuilder().setBundleRequest(BundleRequest.newBuilder().setCommit(commit).setOffset(offset)).build();
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", alice.server.port());
        socket.setSoTimeout(5000);
        return socket;
    }

    private static void assertClosed(Socket socket) throws IOException {
        try {
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        } catch (SocketException reset) {
            // a reset is closed too
        }
    }
}
