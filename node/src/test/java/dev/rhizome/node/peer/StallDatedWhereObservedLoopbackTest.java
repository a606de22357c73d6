package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.git.BundleFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A range's stall is dated where its rule observed it, not where its verdict is read. The gossip
 * adapter turns a range stall's span into "silent since" on the core's clock, and the core forgives
 * a stall whose silence began before the holder's last charged stall (one pause, one charge); the
 * span used to be the one judged, read whenever the verdict reached the fetch thread, so a verdict
 * held up there (the thread busy hashing and writing pieces, a loaded host) read as a later silence
 * and was charged again. Real sockets on loopback, a real Netty fetcher, a {@link RogueHolder}
 * trickling a byte a second, and a verdict reader that gets to the verdict two periods late.
 */
class StallDatedWhereObservedLoopbackTest {
    private static final long PERIOD_MS = TestNode.CONFIG.idleTimeout().toMillis();

    @TempDir
    Path tmp;

    @Test
    void aRangeStallReadLateStillDatesItsSilenceFromWhenItWasObserved() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            byte[] noise = new byte[BundleFile.PIECE_BYTES + 300_000];
            new Random(7).nextBytes(noise);
            String commit = alice.repo.commitFiles(null, Map.of("weights.bin", noise, "train.py", "lr = 0.1\n".getBytes(UTF_8)),
                    "seed", PeerTransferTest.AUTHOR);
            byte[] bundle = Files.readAllBytes(alice.repo.bundle(commit, List.of()).path());
            AtomicLong judgedAsOfRead = new AtomicLong(-1);
            AtomicLong lateBy = new AtomicLong();
            HolderVerdicts lateReader = (holder, failure) -> {
                if (failure.kind() != PeerFailure.Kind.STALLED) {
                    return;
                }
                long entered = System.nanoTime();
                try {
                    Thread.sleep(2 * PERIOD_MS); // the reader is busy: the verdict waits
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                judgedAsOfRead.set(failure.silentForMs());
                lateBy.set((System.nanoTime() - entered) / 1_000_000);
            };
            try (RogueHolder fast = new RogueHolder(bundle, 64 * 1024, (connection, request) -> connection == 0
                    ? RogueHolder.Answer.whole() : RogueHolder.Answer.busyAt(request.getOffset()));
                 RogueHolder trickler = new RogueHolder(bundle, 1, (connection, request) -> RogueHolder.Answer.whole(), 1)) {
                assertThatThrownBy(() -> bob.fetcher.fetchFromHolders(commit, List.of(fast.endpoint(), trickler.endpoint()),
                        TransferProgress.NONE, new Cancellation(), lateReader)).isInstanceOf(FetchException.class);
            }

            // Read two periods after it was told, the silence is that much longer: a reader subtracting
            // it from its own clock gets when the range fell silent, not when the verdict reached it.
            assertThat(judgedAsOfRead.get()).isGreaterThanOrEqualTo(lateBy.get());
            assertThat(lateBy.get()).isGreaterThanOrEqualTo(2 * PERIOD_MS);
        }
    }
}
