package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.git.BundleFile;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A holder that ends each upload with BUSY just before its end: its bytes are kept, cut to the
 * pieces that match its header, and the next holder of the same bundle is asked only for the rest,
 * so what such a rogue wastes is at most a piece per ask. A kept prefix never poisons an honest
 * holder: one with another bundle serves its own from the start. Real sockets on loopback, a real
 * server and fetcher (Netty) for the honest side. A fetch in pieces from several holders resumes
 * such a prefix and leaves one when it ends early, so the one fetch path keeps and resumes whichever
 * way it fetched. The rogues are {@link RogueHolder}s.
 */
class PartialBundleTest {
    @TempDir
    Path tmp;

    @Test
    void aBusyJustBeforeTheEndKeepsTheVerifiedPiecesAndTheNextHolderSendsOnlyTheRest() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            int cut = bundle.length - 1_000;
            try (RogueHolder rogue = RogueHolder.always(bundle, RogueHolder.Answer.busyAt(cut))) {
                assertThatThrownBy(() -> bob.fetcher.fetchFrom(rogue.endpoint(), commit, TransferProgress.NONE, new Cancellation()))
                        .isInstanceOfSatisfying(PeerFailure.class, f -> {
                            assertThat(f.declined()).isEqualTo(PeerFailure.Declined.ENDED_LATE); // it rests at once
                            assertThat(f.blameless()).isTrue(); // and costs nothing: an honest holder may do it
                        });
                long kept = (long) (cut / BundleFile.PIECE_BYTES) * BundleFile.PIECE_BYTES;

                FetchResult result = bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());

                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
                // Alice sent only what was not kept: the rogue's waste is what followed the last whole piece.
                assertThat(bob.fetcher.bytesReceived()).isEqualTo(cut + (bundle.length - kept));
            }
        }
    }

    @Test
    void theSameRogueAskedAgainResumesTooSoEachAskWastesAtMostAPiece() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            int cut = bundle.length - 1_000;
            try (RogueHolder rogue = RogueHolder.always(bundle, RogueHolder.Answer.busyAt(cut))) {
                for (int ask = 0; ask < 3; ask++) {
                    assertThatThrownBy(() -> bob.fetcher.fetchFrom(rogue.endpoint(), commit, TransferProgress.NONE,
                            new Cancellation())).isInstanceOf(PeerFailure.class);
                }
                long kept = (long) (cut / BundleFile.PIECE_BYTES) * BundleFile.PIECE_BYTES;
                assertThat(rogue.offsets).containsExactly(0L, kept, kept);
                assertThat(bob.fetcher.bytesReceived()).isEqualTo(cut + 2 * (cut - kept));
                assertThat(cut - kept).isLessThanOrEqualTo(BundleFile.PIECE_BYTES);
            }
        }
    }

    @Test
    void aKeptPrefixOfAnotherBundleNeverCostsAnHonestHolder_itServesItsOwnFromTheStart() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            byte[] junk = new byte[bundle.length];
            new Random(3).nextBytes(junk);
            try (RogueHolder rogue = RogueHolder.always(junk, RogueHolder.Answer.busyAt(junk.length - 1_000))) {
                assertThatThrownBy(() -> bob.fetcher.fetchFrom(rogue.endpoint(), commit, TransferProgress.NONE, new Cancellation()))
                        .isInstanceOf(PeerFailure.class);

                FetchResult result = bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());

                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
            }
        }
    }

    @Test
    void aFetchInPiecesResumesAPrefixKeptFromAWholeTransfer_askingOnlyForTheRest() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            int cut = bundle.length - 1_000;
            long kept = (long) (cut / BundleFile.PIECE_BYTES) * BundleFile.PIECE_BYTES;
            try (RogueHolder rogue = RogueHolder.always(bundle, RogueHolder.Answer.busyAt(cut));
                 RogueHolder honest = RogueHolder.always(bundle, RogueHolder.Answer.whole())) {
                assertThatThrownBy(() -> bob.fetcher.fetchFrom(rogue.endpoint(), commit, TransferProgress.NONE, new Cancellation()))
                        .isInstanceOf(PeerFailure.class);

                FetchResult result = bob.fetcher.fetchFromHolders(commit, List.of(honest.endpoint(), alice.endpoint()),
                        TransferProgress.NONE, new Cancellation(), HolderVerdicts.NONE);

                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
                assertThat(honest.offsets).containsExactly(kept);  // the probe starts past the kept pieces
                assertThat(bob.fetcher.bytesReceived()).isEqualTo(cut + (bundle.length - kept));
            }
        }
    }

    @Test
    void aFetchInPiecesThatEndsEarlyKeepsItsLeadingPieces_forAWholeTransferToResume() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            long twoPieces = 2L * BundleFile.PIECE_BYTES;
            // Two holders that serve the first two pieces and are busy for every later one.
            RogueHolder.Plan firstTwoOnly = (connection, request) -> request.getOffset() < twoPieces
                    ? RogueHolder.Answer.whole() : RogueHolder.Answer.busyAt(0);
            try (RogueHolder one = new RogueHolder(bundle, 64 * 1024, firstTwoOnly);
                 RogueHolder two = new RogueHolder(bundle, 64 * 1024, firstTwoOnly);
                 RogueHolder honest = RogueHolder.always(bundle, RogueHolder.Answer.whole())) {
                assertThatThrownBy(() -> bob.fetcher.fetchFromHolders(commit, List.of(one.endpoint(), two.endpoint()),
                        TransferProgress.NONE, new Cancellation(), HolderVerdicts.NONE)).isInstanceOf(FetchException.class);

                FetchResult result = bob.fetcher.fetchFrom(honest.endpoint(), commit, TransferProgress.NONE, new Cancellation());

                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
                assertThat(honest.offsets).containsExactly(twoPieces);
                assertThat(bob.fetcher.bytesReceived()).isEqualTo(bundle.length);  // no piece came twice
            }
        }
    }

    @Test
    void aPrefixKeptOfAnotherBundleNeverCostsHoldersAskedInPieces_theyServeTheirOwnFromTheStart() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = bigCommit(alice);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            byte[] junk = new byte[bundle.length];
            new Random(3).nextBytes(junk);
            List<PeerEndpoint> blamed = new CopyOnWriteArrayList<>();
            try (RogueHolder rogue = RogueHolder.always(junk, RogueHolder.Answer.busyAt(junk.length - 1_000));
                 RogueHolder honest = RogueHolder.always(bundle, RogueHolder.Answer.whole())) {
                assertThatThrownBy(() -> bob.fetcher.fetchFrom(rogue.endpoint(), commit, TransferProgress.NONE, new Cancellation()))
                        .isInstanceOf(PeerFailure.class);

                FetchResult result = bob.fetcher.fetchFromHolders(commit, List.of(honest.endpoint(), alice.endpoint()),
                        TransferProgress.NONE, new Cancellation(), (holder, failure) -> blamed.add(holder));

                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
                assertThat(blamed).isEmpty();
                assertThat(honest.offsets).startsWith(BundleFile.PIECE_BYTES * 3L, 0L);  // refused the kept prefix, then its own
            }
        }
    }

    private static String bigCommit(TestNode node) throws Exception {
        byte[] noise = new byte[3 * BundleFile.PIECE_BYTES + 200_000];
        new Random(11).nextBytes(noise);
        return node.repo.commitFiles(null, Map.of("weights.bin", noise, "train.py", "lr = 0.1\n".getBytes(UTF_8)), "seed",
                PeerTransferTest.AUTHOR);
    }
}
