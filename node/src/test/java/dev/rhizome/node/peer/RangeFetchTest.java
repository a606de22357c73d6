package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.identity.Identity;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bundles in pieces from several holders, over real Netty on loopback into real JGit repositories. */
class RangeFetchTest {
    @TempDir
    Path tmp;

    record Verdict(int port, PeerFailure.Kind kind, String message) {
    }

    private final List<Verdict> verdicts = Collections.synchronizedList(new ArrayList<>());
    private final HolderVerdicts recording = (holder, failure) ->
            verdicts.add(new Verdict(holder.getPort(), failure.kind(), failure.getMessage()));

    /** A commit whose bundle is about {@code mib} MiB of incompressible bytes: several pieces. */
    static String large(TestNode node, double mib) throws Exception {
        byte[] noise = new byte[(int) (mib * (1 << 20))];
        new Random(7).nextBytes(noise);
        return node.repo.commitFiles(null, Map.of("weights.bin", noise), "weights", PeerTransferTest.AUTHOR);
    }

    @Test
    void takesPiecesFromSeveralHoldersAtOnceAndImportsTheVerifiedBundle() throws Exception {
        // Alice paced to 2 MiB/s: however loaded the machine, bob gets a piece in before she could take them all.
        PeerConfig paced = TestNode.CONFIG.withUploads(8, 2 << 20, TestNode.CONFIG.chunkBytes());
        try (TestNode alice = new TestNode(tmp.resolve("alice"), paced); TestNode bob = new TestNode(tmp.resolve("bob"));
             TestNode carol = new TestNode(tmp.resolve("carol"))) {
            String commit = large(alice, 3.5);
            bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            long aliceBefore = alice.server.bytesServed();
            List<Long> progress = Collections.synchronizedList(new ArrayList<>());

            FetchResult result = carol.fetcher.fetchFromHolders(commit, List.of(alice.endpoint(), bob.endpoint()),
                    (c, soFar, total) -> progress.add(soFar), new Cancellation(), recording);

            assertThat(carol.repo.has(commit)).isTrue();
            assertThat(result.from().getPort()).isEqualTo(alice.server.port());
            // Bob serves the very bytes he received, so his pieces fit alice's bundle.
            assertThat(bob.server.bytesServed()).isPositive();
            assertThat(alice.server.bytesServed() - aliceBefore).isPositive();
            assertThat(alice.server.bytesServed() - aliceBefore + bob.server.bytesServed()).isGreaterThanOrEqualTo(result.bytes());
            assertThat(progress).last().isEqualTo(result.bytes());
            assertThat(verdicts).isEmpty();
            assertThat(TransferLog.read(carol.transferLog).transfers()).isEqualTo(1);
        }
    }

    @Test
    void aHolderThatSentABadPieceIsNamedOnceTheBundleVerifies() throws Exception {
        // Alice is paced (a piece takes her about half a second), so bob's bad piece always arrives
        // before the endgame could ask her for it too.
        PeerConfig paced = TestNode.CONFIG.withUploads(8, 2 << 20, TestNode.CONFIG.chunkBytes());
        try (TestNode origin = new TestNode(tmp.resolve("origin")); TestNode alice = new TestNode(tmp.resolve("alice"), paced);
             TestNode bob = new TestNode(tmp.resolve("bob")); TestNode carol = new TestNode(tmp.resolve("carol"))) {
            String commit = large(origin, 3.5);
            alice.fetcher.fetchFrom(origin.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            bob.fetcher.fetchFrom(origin.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            // Bob's kept bundle rots on disk after its digests were taken: he now serves wrong bytes past the first piece.
            Path kept = keptBundle(tmp.resolve("bob"), commit);
            byte[] bytes = Files.readAllBytes(kept);
            for (int i = 1 << 20; i < bytes.length; i += 4096) {
                bytes[i] ^= 0x5a;
            }
            Files.write(kept, bytes);

            carol.fetcher.fetchFromHolders(commit, List.of(alice.endpoint(), bob.endpoint()), TransferProgress.NONE,
                    new Cancellation(), recording);

            assertThat(carol.repo.has(commit)).isTrue();
            assertThat(verdicts).singleElement().satisfies(v -> {
                assertThat(v.port()).isEqualTo(bob.server.port());
                assertThat(v.kind()).isEqualTo(PeerFailure.Kind.BAD_BUNDLE);
                assertThat(v.message()).contains("does not match its digest");
            });
        }
    }

    @Test
    void aBusyHolderIsAskedNoMoreAndCostsNothing() throws Exception {
        // One upload at a time, paced so that the hog's takes many seconds (loopback buffers would swallow it otherwise).
        PeerConfig oneUpload = TestNode.CONFIG.withUploads(1, 256 << 10, 256 << 10);
        try (TestNode origin = new TestNode(tmp.resolve("origin")); TestNode alice = new TestNode(tmp.resolve("alice"), oneUpload);
             TestNode bob = new TestNode(tmp.resolve("bob")); TestNode carol = new TestNode(tmp.resolve("carol"))) {
            String commit = large(origin, 3.5);
            alice.fetcher.fetchFrom(origin.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            bob.fetcher.fetchFrom(origin.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            try (Socket hog = new Socket("127.0.0.1", alice.server.port())) {
                occupyTheOnlyUpload(hog, commit);

                assertThat(failureOf(() -> carol.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE,
                        new Cancellation()))).satisfies(f -> {
                            assertThat(f.declined()).isEqualTo(PeerFailure.Declined.BUSY);
                            assertThat(f.kind()).isEqualTo(PeerFailure.Kind.CONNECTION_LOST);  // no penalty in any scoring
                        });

                FetchResult result = carol.fetcher.fetchFromHolders(commit, List.of(alice.endpoint(), bob.endpoint()),
                        TransferProgress.NONE, new Cancellation(), recording);

                assertThat(carol.repo.has(commit)).isTrue();
                assertThat(result.from().getPort()).isEqualTo(bob.server.port());
                assertThat(verdicts).isEmpty();
            }
            // The slot is freed when the hog goes: alice serves again.
            String small = PeerTransferTest.seed(alice);
            try (TestNode dave = new TestNode(tmp.resolve("dave"))) {
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    dave.fetcher.fetchFrom(alice.endpoint(), small, TransferProgress.NONE, new Cancellation());
                    assertThat(dave.repo.has(small)).isTrue();
                });
            }
        }
    }

    @Test
    void aRangeThatStallsIsAskedOfAnotherHolder() throws Exception {
        // Bob sends two chunks, then his pacer makes him wait minutes: under the minimum-progress rule.
        // (His own idle timeout is longer than carol's, so it is carol who gives up, not bob who hangs up.)
        PeerConfig trickle = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(30))
                .withUploads(8, 1024, TestNode.CONFIG.chunkBytes());
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"), trickle);
             TestNode carol = new TestNode(tmp.resolve("carol"))) {
            String commit = large(alice, 3.5);
            bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());

            // Bob first: his first piece stalls under the minimum-progress rule, and alice is asked instead.
            FetchResult result = carol.fetcher.fetchFromHolders(commit, List.of(bob.endpoint(), alice.endpoint()),
                    TransferProgress.NONE, new Cancellation(), recording);

            assertThat(carol.repo.has(commit)).isTrue();
            assertThat(result.from().getPort()).isEqualTo(alice.server.port());
            assertThat(verdicts).singleElement().satisfies(v -> {
                assertThat(v.port()).isEqualTo(bob.server.port());
                assertThat(v.kind()).isEqualTo(PeerFailure.Kind.STALLED);
            });
        }
    }

    @Test
    void aHolderWithAnotherBundleOfTheCommitDeclinesWithoutBlame() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"));
             TestNode carol = new TestNode(tmp.resolve("carol"))) {
            String commit = large(alice, 2.5);
            bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            // Bob loses the bytes he received; the bundle he would make himself need not be alice's byte for byte.
            Files.delete(keptBundle(tmp.resolve("bob"), commit));

            carol.fetcher.fetchFromHolders(commit, List.of(alice.endpoint(), bob.endpoint()), TransferProgress.NONE,
                    new Cancellation(), recording);

            assertThat(carol.repo.has(commit)).isTrue();
            assertThat(verdicts).isEmpty();
        }
    }

    /**
     * A rogue first holder names a false digest for one piece and serves true bytes: every honest
     * holder's true piece fails its word, and so does its own. No honest holder is named; the rogue
     * is, by its own bytes against its own header (before round 38 the fetch ended a blameless loss,
     * the rogue asked again); and the next ask, led by an honest holder, imports the bundle.
     */
    @Test
    void aFirstHolderNamingAFalsePieceDigestIsNamedAndNoHonestHolderIs() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"));
             TestNode carol = new TestNode(tmp.resolve("carol"))) {
            String commit = large(alice, 3.5);
            bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            byte[] bundle = Files.readAllBytes(keptBundle(tmp.resolve("bob"), commit));
            try (RogueHolder rogue = RogueHolder.always(bundle, RogueHolder.Answer.whole())) {
                rogue.falsePieceDigest = 1;
                int roguePort = rogue.endpoint().getPort();

                assertThatThrownBy(() -> carol.fetcher.fetchFromHolders(commit, List.of(rogue.endpoint(), bob.endpoint()),
                        TransferProgress.NONE, new Cancellation(), recording)).isInstanceOf(FetchException.class);

                assertThat(carol.repo.has(commit)).isFalse();
                assertThat(verdicts).singleElement().satisfies(v -> {
                    assertThat(v.port()).isEqualTo(roguePort);
                    assertThat(v.kind()).isEqualTo(PeerFailure.Kind.BAD_BUNDLE);
                    assertThat(v.message()).contains("own header");
                });

                verdicts.clear();
                carol.fetcher.fetchFromHolders(commit, List.of(bob.endpoint(), rogue.endpoint()), TransferProgress.NONE,
                        new Cancellation(), recording);

                assertThat(carol.repo.has(commit)).isTrue();
                assertThat(verdicts).noneMatch(v -> v.port() == bob.server.port());
            }
        }
    }

    /**
     * A rogue first holder names a false digest for piece 1 and never serves that piece itself
     * (BUSY for every piece past its first): every honest holder's true piece 1 fails its word. The
     * honest copy and the pieces done hash to the rogue's own header's SHA-256, so its digest is
     * proven false: the fetch imports the bundle, the rogue is named and no honest holder is. Before
     * round 39 the fetch ended a blameless loss, and the rogue could lead the next ask.
     */
    @Test
    void aFirstHolderNamingAFalseDigestForAPieceItNeverServesIsProvenALiar() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"));
             TestNode dave = new TestNode(tmp.resolve("dave")); TestNode carol = new TestNode(tmp.resolve("carol"))) {
            String commit = large(alice, 3.5);
            bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            dave.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            byte[] bundle = Files.readAllBytes(keptBundle(tmp.resolve("bob"), commit));
            try (RogueHolder rogue = new RogueHolder(bundle, 64 << 10,
                    (connection, request) -> request.getOffset() == 0 ? RogueHolder.Answer.whole()
                            : RogueHolder.Answer.busyAt(request.getOffset()))) {
                rogue.falsePieceDigest = 1;
                int roguePort = rogue.endpoint().getPort();

                carol.fetcher.fetchFromHolders(commit, List.of(rogue.endpoint(), bob.endpoint(), dave.endpoint()),
                        TransferProgress.NONE, new Cancellation(), recording);

                assertThat(carol.repo.has(commit)).isTrue();
                assertThat(rogue.offsets).as("the rogue led the fetch").contains(0L);
                assertThat(verdicts).singleElement().satisfies(v -> {
                    assertThat(v.port()).isEqualTo(roguePort);
                    assertThat(v.kind()).isEqualTo(PeerFailure.Kind.BAD_BUNDLE);
                    assertThat(v.message()).contains("false digest for piece 1");
                });
            }
        }
    }

    private static Path keptBundle(Path node, String commit) throws Exception {
        try (Stream<Path> files = Files.list(node.resolve("repo.git.bundles"))) {
            return files.filter(p -> p.getFileName().toString().startsWith(commit)).findFirst().orElseThrow();
        }
    }

    /** Asks for the bundle and never reads: the server's one upload stays taken. */
    private static void occupyTheOnlyUpload(Socket hog, String commit) throws Exception {
        hog.setReceiveBufferSize(4096);
        OutputStream out = hog.getOutputStream();
        InputStream in = hog.getInputStream();
        assertThat(RawWire.openFetch(in, out, Identity.generate()).hasHelloProof()).isTrue();
        RawWire.write(out, PeerMessage.newBuilder().setBundleRequest(BundleRequest.newBuilder().setCommit(commit)).build());
        assertThat(RawWire.read(in).hasBundleHeader()).isTrue();
    }

    interface Fetch {
        void run() throws Exception;
    }

    private static PeerFailure failureOf(Fetch fetch) {
        try {
            fetch.run();
        } catch (PeerFailure e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected a PeerFailure, got " + e, e);
        }
        throw new AssertionError("expected a PeerFailure");
    }

    @SuppressWarnings("unused")
    private static PeerMessage busy() {
        return PeerMessages.error(Error.Code.UNAVAILABLE, "busy");
    }

    @SuppressWarnings("unused")
    private static PeerEndpoint none() {
        return PeerEndpoint.getDefaultInstance();
    }
}
