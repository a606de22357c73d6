package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's bundle builders are bounded, and a holder whose builders cannot take a request says
 * BUSY rather than going silent: at once when every builder is taken and the queue is full, and after
 * {@link BundleBuilders#PATIENCE_MS} when its build waits or runs longer (a long queue, a disk that
 * blocks). Silence was read by the asker's stall rule as a rogue's, and an honest holder was banned at
 * its third stall. Real servers and fetchers on loopback; the builders are taken by tasks that block,
 * as builds on a blocked disk do.
 */
class BundleBuildersTest {
    /** The asker's stall window at its default (10 s), past the builders' patience. */
    static final PeerConfig PATIENT = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(10));

    @TempDir
    Path tmp;

    @Test
    void theHintIsTheBacklogsTurnAtTheMeanBuildTimeBounded() {
        assertThat(BundleBuilders.retryAfterMs(0, 2, 500)).isEqualTo(BundleBuilders.MIN_RETRY_MS);
        assertThat(BundleBuilders.retryAfterMs(10, 2, 500)).isEqualTo(2_500);
        assertThat(BundleBuilders.retryAfterMs(11, 2, 500)).isEqualTo(3_000);
        assertThat(BundleBuilders.retryAfterMs(10, 2, 60_000)).isEqualTo(BundleBuilders.MAX_RETRY_MS);
        assertThatThrownBy(() -> new BundleBuilders(2, 0, Thread::new))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("queue");
    }

    @Test
    void theQueueIsBoundedAndAClosedPoolTakesNothing() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        BundleBuilders builders = new BundleBuilders(1, 2, Thread::new);
        try {
            int taken = occupy(builders, release);
            assertThat(taken).isEqualTo(3); // one building, two waiting
            assertThat(builders.backlog()).isEqualTo(3);
            assertThat(builders.offer(() -> { })).isFalse();
            assertThat(builders.backlog()).isEqualTo(3);
        } finally {
            release.countDown();
            builders.close();
        }
        assertThat(builders.closed()).isTrue();
        assertThat(builders.offer(() -> { })).isFalse();
    }

    @Test
    void aHolderWhoseBuildersAreAllTakenAnswersBusyAtOnceWithAHintAndServesOnceTheyAreFree() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestNode holder = new TestNode(tmp.resolve("holder"), PATIENT); TestNode asker = new TestNode(tmp.resolve("asker"), PATIENT)) {
            String commit = PeerTransferTest.seed(holder);
            assertThat(occupy(holder.server.bundleBuilders(), release)).isEqualTo(BundleBuilders.THREADS + BundleBuilders.QUEUE);
            long start = System.nanoTime();
            PeerFailure busy = failureOf(() -> asker.fetcher.fetchFrom(holder.endpoint(), commit, TransferProgress.NONE, new Cancellation()));
            assertThat(busy.declined()).isEqualTo(PeerFailure.Declined.BUSY);
            assertThat(busy.kind()).isEqualTo(PeerFailure.Kind.CONNECTION_LOST); // no penalty in any scoring
            assertThat(busy.blameless()).isTrue();
            assertThat(busy.retryAfterMs()).isBetween(BundleBuilders.MIN_RETRY_MS, BundleBuilders.MAX_RETRY_MS);
            assertThat(busy.getMessage()).contains("every bundle builder is taken");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("answered, not queued")
                    .isLessThan(Duration.ofMillis(BundleBuilders.PATIENCE_MS));

            release.countDown();
            fetchOnceFree(asker, holder, commit);
            assertThat(asker.repo.has(commit)).isTrue();
        } finally {
            release.countDown();
        }
    }

    @Test
    void aBuildThatOutlastsThePatienceIsAnsweredBusyNotSilenceAndItsBundleIsServedAtTheNextAsk() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestNode holder = new TestNode(tmp.resolve("holder"), PATIENT); TestNode asker = new TestNode(tmp.resolve("asker"), PATIENT)) {
            String commit = PeerTransferTest.seed(holder);
            // Every builder taken, the queue open: the request is accepted and waits for a builder.
            for (int i = 0; i < BundleBuilders.THREADS; i++) {
                assertThat(holder.server.bundleBuilders().offer(() -> holdUntil(release))).isTrue();
            }
            PeerFailure busy = failureOf(() -> asker.fetcher.fetchFrom(holder.endpoint(), commit, TransferProgress.NONE, new Cancellation()));
            assertThat(busy.declined()).as("a BUSY before the asker's stall window, not a stall: %s", busy.getMessage())
                    .isEqualTo(PeerFailure.Declined.BUSY);
            assertThat(busy.getMessage()).contains("still being built");
            assertThat(busy.retryAfterMs()).isPositive();

            release.countDown();
            fetchOnceFree(asker, holder, commit);
            assertThat(asker.repo.has(commit)).isTrue();
        } finally {
            release.countDown();
        }
    }

    /** Takes every builder and queue place with tasks that wait for {@code release}; how many it took. */
    static int occupy(BundleBuilders builders, CountDownLatch release) {
        int taken = 0;
        while (taken < 1_000 && builders.offer(() -> holdUntil(release))) {
            taken++;
        }
        return taken;
    }

    static void holdUntil(CountDownLatch release) {
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    interface Fetch {
        void run() throws Exception;
    }

    /**
     * Fetches {@code commit} as an asker told BUSY does, asking again after a while: the builders'
     * tasks end a moment after their release (a fresh-clone run asked within that moment and was
     * told BUSY). Any other failure fails the test.
     */
    private static void fetchOnceFree(TestNode asker, TestNode holder, String commit) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            try {
                asker.fetcher.fetchFrom(holder.endpoint(), commit, TransferProgress.NONE, new Cancellation());
                return true;
            } catch (PeerFailure e) {
                if (e.declined() == PeerFailure.Declined.BUSY) {
                    return false;
                }
                throw e;
            }
        });
    }

    static PeerFailure failureOf(Fetch fetch) {
        try {
            fetch.run();
        } catch (PeerFailure e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError("expected a PeerFailure, got " + e, e);
        }
        throw new AssertionError("expected a PeerFailure");
    }
}
