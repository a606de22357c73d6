package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.git.BundleFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stall rule on both of the fetcher's paths (whole, and in pieces from several holders: the
 * work loop's {@code CommitFetcher} and the gossip fetch both end in these), against holders that
 * send valid frames of the true bundle at a chosen pace ({@link RogueHolder}, paced): at one and a
 * half times the rule's minimum (64 KiB per idle period, 3 s here: about 21.8 KB/s) the transfer
 * completes over several judged periods and the holder is never charged; at half of it, or a byte
 * a second, the transfer is cut within the rule's bound (the period after the header arms it, the
 * next judges it: two periods) and charged as a stall, and what it delivered stays kept for the
 * next holder; the trickler is not asked to resume. Real sockets on loopback, a real Netty fetcher. Bounds are ten periods, for load 30.
 */
class TrickleRuleLoopbackTest {
    private static final long PERIOD_MS = TestNode.CONFIG.idleTimeout().toMillis();
    private static final long FLOOR_BYTES_PER_SECOND = FetchHandler.MIN_PROGRESS_BYTES * 1000 / PERIOD_MS;
    /** What "within the rule's bound" is held to: two periods are the rule's, the rest is slack for a loaded host. */
    private static final Duration BOUND = Duration.ofMillis(10 * PERIOD_MS);

    @TempDir
    Path tmp;

    record Verdict(int port, PeerFailure.Kind kind) {
    }

    private final List<Verdict> verdicts = Collections.synchronizedList(new ArrayList<>());
    private final HolderVerdicts recording = (holder, failure) -> verdicts.add(new Verdict(holder.getPort(), failure.kind()));

    @Test
    void aWholeTransferJustAboveTheMinimumCompletesOverSeveralJudgedPeriods() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            // 3.5 periods' worth at the pace: the rule arms after the first and judges at least two more.
            String commit = commit(alice, (int) (FLOOR_BYTES_PER_SECOND * 3 / 2 * PERIOD_MS * 7 / 2 / 1000));
            byte[] bundle = bundle(alice, commit);
            try (RogueHolder steady = paced(bundle, RogueHolder.Answer.whole(), FLOOR_BYTES_PER_SECOND * 3 / 2)) {
                FetchResult result = bob.fetcher.fetchFromHolders(commit, List.of(steady.endpoint()), TransferProgress.NONE,
                        new Cancellation(), recording);

                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
                assertThat(verdicts).isEmpty();
                assertThat(steady.offsets).containsExactly(0L); // one connection: never cut and resumed
            }
        }
    }

    @Test
    void aWholeTransferAtHalfTheMinimumIsCutWithinTheBoundAndItsBytesGoToTheNextHolder() throws Exception {
        cutWhole(FLOOR_BYTES_PER_SECOND / 2);
    }

    @Test
    void aWholeTransferAtAByteASecondIsCutWithinTheBoundAndTheNextHolderServesIt() throws Exception {
        cutWhole(1);
    }

    private void cutWhole(long bytesPerSecond) throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = commit(alice, 300_000);
            byte[] bundle = bundle(alice, commit);
            try (RogueHolder trickler = paced(bundle, RogueHolder.Answer.whole(), bytesPerSecond)) {
                long started = System.nanoTime();
                assertThatThrownBy(() -> bob.fetcher.fetchFromHolders(commit, List.of(trickler.endpoint()), TransferProgress.NONE,
                        new Cancellation(), recording)).isInstanceOf(FetchException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(BOUND);
                assertThat(verdicts).containsExactly(new Verdict(trickler.endpoint().getPort(), PeerFailure.Kind.STALLED));
                // Asked once: a stall on a live connection is not resumed from the same holder (it was, three
                // times, so a byte a second held the fetch for four times the rule's bound).
                assertThat(trickler.offsets).containsExactly(0L);

                // The caller's next holder (the gossip core's, the work loop's next round) serves it whole.
                FetchResult result = bob.fetcher.fetchFrom(alice.endpoint(), commit, TransferProgress.NONE, new Cancellation());
                assertThat(result.bytes()).isEqualTo(bundle.length);
                assertThat(bob.repo.has(commit)).isTrue();
            }
        }
    }

    @Test
    void aPieceJustAboveTheMinimumFromTheOnlyHolderLeftCompletesAndItsHolderIsNotCharged() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            long pace = FLOOR_BYTES_PER_SECOND * 3 / 2;
            // The last piece is 3.5 periods' worth at the pace.
            String commit = commit(alice, BundleFile.PIECE_BYTES + (int) (pace * PERIOD_MS * 7 / 2 / 1000));
            byte[] bundle = bundle(alice, commit);
            assertThat(bundle.length).isBetween(BundleFile.PIECE_BYTES + 1, 2 * BundleFile.PIECE_BYTES);
            // The fast one serves the first piece, then declines (BUSY: no fault) its endgame double-up of the
            // second, so the paced one alone delivers that piece.
            try (RogueHolder fast = new RogueHolder(bundle, 64 * 1024, (connection, request) -> connection == 0
                    ? RogueHolder.Answer.whole() : RogueHolder.Answer.busyAt(request.getOffset()));
                 RogueHolder steady = paced(bundle, RogueHolder.Answer.whole(), pace)) {
                bob.fetcher.fetchFromHolders(commit, List.of(fast.endpoint(), steady.endpoint()), TransferProgress.NONE,
                        new Cancellation(), recording);

                assertThat(bob.repo.has(commit)).isTrue();
                assertThat(verdicts).isEmpty();
                assertThat(steady.offsets).containsExactly((long) BundleFile.PIECE_BYTES);
            }
        }
    }

    @Test
    void aPieceAtAByteASecondIsCutWithinTheBoundAndTheNextHolderSendsOnlyWhatIsMissing() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String commit = commit(alice, BundleFile.PIECE_BYTES + 300_000);
            byte[] bundle = bundle(alice, commit);
            try (RogueHolder fast = new RogueHolder(bundle, 64 * 1024, (connection, request) -> connection == 0
                    ? RogueHolder.Answer.whole() : RogueHolder.Answer.busyAt(request.getOffset()));
                 RogueHolder trickler = paced(bundle, RogueHolder.Answer.whole(), 1)) {
                long started = System.nanoTime();
                assertThatThrownBy(() -> bob.fetcher.fetchFromHolders(commit, List.of(fast.endpoint(), trickler.endpoint()),
                        TransferProgress.NONE, new Cancellation(), recording)).isInstanceOf(FetchException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(BOUND);
                assertThat(verdicts).containsExactly(new Verdict(trickler.endpoint().getPort(), PeerFailure.Kind.STALLED));

                // The next holder asked is asked only for what the trickler held up: the first piece was kept.
                long before = bob.fetcher.bytesReceived();
                bob.fetcher.fetchFromHolders(commit, List.of(alice.endpoint()), TransferProgress.NONE, new Cancellation(), recording);
                assertThat(bob.repo.has(commit)).isTrue();
                assertThat(bob.fetcher.bytesReceived() - before).isEqualTo(bundle.length - BundleFile.PIECE_BYTES);
                assertThat(verdicts).hasSize(1);
            }
        }
    }

    private static RogueHolder paced(byte[] bundle, RogueHolder.Answer answer, long bytesPerSecond) throws Exception {
        // Chunks of a quarter second's bytes, as a trickler would send them (a byte each at a byte a second).
        int chunk = (int) Math.max(1, Math.min(64 * 1024, bytesPerSecond / 4));
        return new RogueHolder(bundle, chunk, (connection, request) -> answer, bytesPerSecond);
    }

    private static byte[] bundle(TestNode node, String commit) throws Exception {
        return Files.readAllBytes(node.repo.bundle(commit, List.of()).path());
    }

    /** A commit whose bundle is a little over {@code bytes} (random bytes do not compress). */
    private static String commit(TestNode node, int bytes) throws Exception {
        byte[] noise = new byte[bytes];
        new Random(bytes).nextBytes(noise);
        return node.repo.commitFiles(null, Map.of("weights.bin", noise, "train.py", "lr = 0.1\n".getBytes(UTF_8)), "seed",
                PeerTransferTest.AUTHOR);
    }
}
