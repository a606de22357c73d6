package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.BundleBuilders;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A real node whose bundle builders are all taken (both builders blocked, as on a disk that blocks,
 * and the queue full) while its gossip goes on (a signed result every 2 s on its link). Its builders'
 * queue was unbounded: an ask of it was accepted and then nothing came, the asker's stall rule read
 * the silence on a live link as a rogue's, and the honest holder was banned at its third stall. Now
 * the bounded builders answer BUSY at once with a hint: the asker takes it as no fault, rests the
 * holder as a decliner, never bans it, and fetches the bundle from a holder that has room.
 */
class BusyHolderLoopbackTest extends LoopbackTest {
    @Test
    void aHolderWhoseBuildersAreSaturatedIsNotBannedAndTheAskerGetsTheBundleFromAnotherHolder() throws Exception {
        Identity fullId = Identity.generate();
        PublicId full = fullId.publicId();
        LoopbackNet.Started saturated = net.start(tmp.resolve("full"), fullId, Wants.everything(), null, true);
        LoopbackNet.Started asker = net.start(tmp.resolve("asker"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> asker.linkedTo(full), Duration.ofSeconds(60));

        CountDownLatch release = new CountDownLatch(1);
        BundleBuilders builders = saturated.gossip().bundleBuilders();
        int taken = 0;
        while (taken < 1_000 && builders.offer(() -> awaitQuietly(release))) {
            taken++;
        }
        assertThat(taken).isEqualTo(BundleBuilders.THREADS + BundleBuilders.QUEUE);

        String commit = saturated.repo().commitFiles(null, Map.of("notes.txt", "busy".getBytes()), "busy", GossipServiceTest.AUTHOR);
        Thread chatter = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Result result = Result.newBuilder().setCommit(commit).setMetric(1.5).setRunner(full.toByteString())
                            .setTimeMs(System.currentTimeMillis()).build();
                    saturated.gossip().announceResult(Envelopes.sign(fullId, result));
                    Thread.sleep(2_000);
                }
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
            }
        }, "busy-holder-chatter");
        chatter.setDaemon(true);
        chatter.start();
        try {
            saturated.gossip().onLocalCommit(commit);

            // Three asks, each answered BUSY: three stalls banned it before.
            GossipServiceTest.await(() -> SlowHonestHolderLoopbackTest.failedFetches(asker) >= 3, Duration.ofSeconds(180));
            assertThat(asker.bans(full)).isFalse();
            assertThat(asker.scoreOf(full)).isZero();
            assertThat(asker.linkedTo(full)).isTrue();
            assertThat(asker.repo().has(commit)).isFalse();

            // A holder with room: the asker fetches the commit from it while the first is still full.
            Identity otherId = Identity.generate();
            LoopbackNet.Started other = net.start(tmp.resolve("other"), otherId, Wants.everything(), null, true);
            String same = other.repo().commitFiles(null, Map.of("notes.txt", "busy".getBytes()), "busy", GossipServiceTest.AUTHOR);
            assertThat(same).isEqualTo(commit);
            other.gossip().onLocalCommit(same);
            GossipServiceTest.await(() -> asker.repo().has(commit), Duration.ofSeconds(180));

            assertThat(asker.bans(full)).isFalse();
            assertThat(asker.scoreOf(full)).isZero();
            assertThat(asker.scoreOf(otherId.publicId())).isGreaterThanOrEqualTo(0);
        } finally {
            chatter.interrupt();
            release.countDown();
        }
    }

    private static void awaitQuietly(CountDownLatch release) {
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
