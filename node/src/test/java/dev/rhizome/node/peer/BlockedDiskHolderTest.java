package dev.rhizome.node.peer;

import static dev.rhizome.node.peer.BundleBuildersTest.PATIENT;
import static dev.rhizome.node.peer.BundleBuildersTest.failureOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A holder whose disk blocks in the middle of a transfer (its header sent, its chunks' reads stuck)
 * answers BUSY before the asker's stall window instead of going silent, which the asker's stall rule
 * read as a rogue's silence (the bundle file was read on the event loop, which then sent nothing).
 * The asker takes it as no fault and gets the bundle from another holder. Real servers and fetchers
 * on loopback; the holder's reads wait on a latch as on a disk that blocks ({@link BundleReaders#holdReads}).
 * Also: a second ask of a build already running joins it rather than queueing a duplicate.
 */
class BlockedDiskHolderTest {
    @TempDir
    Path tmp;

    @Test
    void aHolderWhoseDiskBlocksMidTransferSaysBusyNotSilenceAndTheAskerGetsTheBundleElsewhere() throws Exception {
        CountDownLatch disk = new CountDownLatch(1);
        try (TestNode blocked = new TestNode(tmp.resolve("blocked"), PATIENT); TestNode other = new TestNode(tmp.resolve("other"), PATIENT);
             TestNode asker = new TestNode(tmp.resolve("asker"), PATIENT)) {
            String commit = PeerTransferTest.seed(blocked);
            other.fetcher.fetchFrom(blocked.endpoint(), commit, TransferProgress.NONE, new Cancellation());
            blocked.server.bundleReaders().holdReads(disk);

            long start = System.nanoTime();
            PeerFailure busy = failureOf(() -> asker.fetcher.fetchFrom(blocked.endpoint(), commit, TransferProgress.NONE, new Cancellation()));
            assertThat(busy.declined()).as("a BUSY, not a stall: %s", busy.getMessage()).isEqualTo(PeerFailure.Declined.BUSY);
            assertThat(busy.kind()).isEqualTo(PeerFailure.Kind.CONNECTION_LOST); // no penalty in any scoring, never a ban
            assertThat(busy.blameless()).isTrue();
            assertThat(busy.getMessage()).contains("disk is blocked");
            assertThat(busy.retryAfterMs()).isEqualTo(BundleReaders.RETRY_AFTER_MS);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("before the asker's stall window")
                    .isLessThan(Duration.ofSeconds(10));  // the asker's default fetchStall

            // In pieces, the blocked holder first: it is dropped as busy (its hint passed on), not blamed,
            // and the other holder serves the bundle.
            RecordedVerdicts verdicts = new RecordedVerdicts();
            asker.fetcher.fetchFromHolders(commit, List.of(blocked.endpoint(), other.endpoint()), TransferProgress.NONE,
                    new Cancellation(), verdicts);
            assertThat(asker.repo.has(commit)).isTrue();
            assertThat(verdicts.faults).isEmpty();
            assertThat(verdicts.hints).containsEntry(blocked.endpoint(), BundleReaders.RETRY_AFTER_MS);
        } finally {
            disk.countDown();
        }
    }

    /**
     * A few reads that never return (a bad sector, a hung file) hold some readers for good: each is
     * written off and a spare reader started in its place, so the holder serves on. Before, four stuck
     * reads stopped every upload until the node restarted. Raw askers, each a key of its own.
     */
    @Test
    void readersBlockedForGoodAreReplacedAndTheHolderServesOn() throws Exception {
        CountDownLatch disk = new CountDownLatch(1);
        try (TestNode holder = new TestNode(tmp.resolve("holder"), PATIENT); TestNode other = new TestNode(tmp.resolve("other"), PATIENT)) {
            String commit = PeerTransferTest.seed(holder);
            other.fetcher.fetchFrom(holder.endpoint(), commit, TransferProgress.NONE, new Cancellation()); // the bundle built
            BundleReaders readers = holder.server.bundleReaders();
            readers.holdReads(disk, BundleReaders.THREADS);

            List<CompletableFuture<PeerMessage>> stuck = new ArrayList<>();
            for (int i = 0; i < BundleReaders.THREADS; i++) {
                stuck.add(CompletableFuture.supplyAsync(() -> lastAnswer(holder, commit)));
            }
            for (CompletableFuture<PeerMessage> answer : stuck) {
                assertThat(answer.get().getError().getCode()).isEqualTo(Error.Code.UNAVAILABLE);
            }
            // an asker's patience runs from its request, a read's from when a reader took it (later, under load)
            await().atMost(Duration.ofSeconds(30)).until(() -> readers.blocked() == BundleReaders.THREADS);
            assertThat(lastAnswer(holder, commit).hasBundleEnd()).as("served by a spare reader while four are stuck").isTrue();
            assertThat(readers.threads()).isEqualTo(BundleReaders.THREADS + BundleReaders.SPARES);

            disk.countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> readers.blocked() == 0 && readers.threads() == BundleReaders.THREADS);
        } finally {
            disk.countDown();
        }
    }

    /**
     * A dead disk holds every reader, spares included: from then on every upload is answered BUSY,
     * which no asker blames, so nothing else would tell the volunteer that the node serves nothing. It
     * says so: the readers blocked are counted ({@code rhizome_node_bundle_readers_blocked}), a warning
     * is logged once (not once per upload), and a read that returns is logged too. Raw askers, each a
     * key of its own.
     */
    @Test
    void aDiskBlockingEveryReaderIsSaidOnceAndCountedAndItsReturnToo() throws Exception {
        CountDownLatch disk = new CountDownLatch(1);
        Logger logger = (Logger) LoggerFactory.getLogger(BundleReaders.class);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        int all = BundleReaders.THREADS + BundleReaders.SPARES;
        try (TestNode holder = new TestNode(tmp.resolve("holder"), PATIENT); TestNode other = new TestNode(tmp.resolve("other"), PATIENT)) {
            String commit = PeerTransferTest.seed(holder);
            other.fetcher.fetchFrom(holder.endpoint(), commit, TransferProgress.NONE, new Cancellation()); // the bundle built
            BundleReaders readers = holder.server.bundleReaders();
            readers.holdReads(disk);

            for (int round = 0; round < 2; round++) {
                List<CompletableFuture<PeerMessage>> asks = new ArrayList<>();
                for (int i = 0; i < BundleReaders.THREADS; i++) {
                    asks.add(CompletableFuture.supplyAsync(() -> lastAnswer(holder, commit)));
                }
                for (CompletableFuture<PeerMessage> answer : asks) {
                    assertThat(answer.get().getError().getCode()).isEqualTo(Error.Code.UNAVAILABLE);
                }
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> readers.blocked() == all);
            assertThat(readers.threads()).as("spares bounded: a dead disk costs %d threads, no more", all).isEqualTo(all);
            // The next uploads' reads wait behind the blocked ones: ended BUSY in their turn, and now it is said.
            for (int i = 0; i < 2; i++) {
                assertThat(lastAnswer(holder, commit).getError().getCode()).isEqualTo(Error.Code.UNAVAILABLE);
            }
            assertThat(readers.blocked()).isEqualTo(all);
            assertThat(lines.list.stream().filter(e -> e.getFormattedMessage().startsWith("all " + all + " bundle readers have been blocked")))
                    .as("said once, not once per upload").hasSize(1);

            disk.countDown();
            await().atMost(Duration.ofSeconds(30)).until(() -> readers.blocked() == 0
                    && lines.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith("a bundle read returned")));
            assertThat(lastAnswer(holder, commit).hasBundleEnd()).as("served again").isTrue();
        } finally {
            disk.countDown();
            logger.detachAppender(lines);
        }
    }

    /** Asks {@code commit} of {@code holder} as a fresh key over a plain socket; the last message before the end or BUSY. */
    private static PeerMessage lastAnswer(TestNode holder, String commit) {
        try (Socket socket = new Socket("127.0.0.1", holder.server.port())) {
            InputStream in = socket.getInputStream();
            RawWire.openFetch(in, socket.getOutputStream(), Identity.generate());
            RawWire.write(socket.getOutputStream(), PeerMessage.newBuilder().setBundleRequest(BundleRequest.newBuilder().setCommit(commit))
                    .build());
            PeerMessage last = null;
            for (PeerMessage message = RawWire.read(in); message != null; message = RawWire.read(in)) {
                last = message;
                if (message.hasError() || message.hasBundleEnd()) {
                    return message;
                }
            }
            return last;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aSecondAskOfABuildStillRunningJoinsItInsteadOfQueueingAnother() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger runs = new AtomicInteger();
        try (BundleBuilders builders = new BundleBuilders(1, 1, Thread::new)) {
            var first = builders.build("commit-a", () -> {
                runs.incrementAndGet();
                release.await();
                return "bundle";
            });
            var again = builders.build("commit-a", () -> {
                runs.incrementAndGet();
                return "duplicate";
            });
            assertThat(again).isSameAs(first);
            // The one queue place is still free for another bundle.
            var another = builders.build("commit-b", () -> "other");
            assertThat(another).isNotNull();
            release.countDown();
            assertThat(first.get()).isEqualTo("bundle");
            assertThat(again.get()).isEqualTo("bundle");
            assertThat(another.get()).isEqualTo("other");
            assertThat(runs).hasValue(1);
            // Done, a later ask builds afresh (the repository's cache serves it then).
            assertThat(builders.build("commit-a", () -> "later").get()).isEqualTo("later");
        } finally {
            release.countDown();
        }
    }
}
