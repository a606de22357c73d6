package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A real node whose uploads crawl (its serve path throttled to 2 KiB/s in 1 KiB chunks, under the
 * stall floor of 64 KiB per 10 s: a slow disk, a node starved of CPU) while its gossip goes on (a
 * signed result every 2 s on its link). Its transfers to an asker stall again and again, and it was
 * charged -4, -16 and banned at the third (its link alive: the rogue's sign). Bytes of its transfers
 * keep arriving, which a rogue that serves nothing never sends: now it is slow, not banned, and the
 * bundle comes from a holder that serves it.
 */
class SlowHonestHolderLoopbackTest extends LoopbackTest {
    /** 1 KiB chunks, all uploads together paced to 2 KiB/s. */
    static final PeerConfig THROTTLED = new PeerConfig(1 << 20, 1 << 10, 64L << 20, Duration.ofSeconds(5), Duration.ofSeconds(30),
            PeerConfig.DEFAULT_MAX_UPLOADS, 2 << 10, 1 << 10, PeerConfig.DEFAULT_RANGE_HOLDERS);

    static long failedFetches(LoopbackNet.Started node) {
        return LoopbackNet.ask(node.gossip(), p -> ((GossipCore) p).stats().fetchesFailed());
    }

    @Test
    void anHonestNodeWhoseUploadsCrawlWhileItGossipsIsNotBannedAndItsBundleComesFromAnotherHolder() throws Exception {
        Identity slowId = Identity.generate();
        PublicId slow = slowId.publicId();
        LoopbackNet.Started crawling = net.start(tmp.resolve("slow"), slowId, Wants.everything(), THROTTLED, true);
        LoopbackNet.Started asker = net.start(tmp.resolve("asker"), Identity.generate(), Wants.everything(), null, true);
        GossipServiceTest.await(() -> asker.linkedTo(slow), Duration.ofSeconds(60));
        byte[] weights = new byte[400_000];
        new Random(20).nextBytes(weights); // does not compress: 200 s of uploads at its pace
        String commit = crawling.repo().commitFiles(null, Map.of("weights.bin", weights), "weights", GossipServiceTest.AUTHOR);

        Thread chatter = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Result result = Result.newBuilder().setCommit(commit).setMetric(1.5).setRunner(slow.toByteString())
                            .setTimeMs(System.currentTimeMillis()).build();
                    crawling.gossip().announceResult(Envelopes.sign(slowId, result));
                    Thread.sleep(2_000);
                }
            } catch (InterruptedException stop) {
                Thread.currentThread().interrupt();
            }
        }, "slow-holder-chatter");
        chatter.setDaemon(true);
        chatter.start();
        try {
            crawling.gossip().onLocalCommit(commit);

            // Its three tries of the commit stall, each with bytes arriving: slow, not silent.
            GossipServiceTest.await(() -> failedFetches(asker) >= 3, Duration.ofSeconds(240));
            assertThat(asker.bans(slow)).isFalse();
            assertThat(asker.scoreOf(slow)).isZero();
            assertThat(asker.linkedTo(slow)).isTrue();

            // A holder that serves: the asker fetches the commit from it.
            Identity fastId = Identity.generate();
            LoopbackNet.Started fast = net.start(tmp.resolve("fast"), fastId, Wants.everything(), null, true);
            String same = fast.repo().commitFiles(null, Map.of("weights.bin", weights), "weights", GossipServiceTest.AUTHOR);
            assertThat(same).isEqualTo(commit);
            fast.gossip().onLocalCommit(same);
            GossipServiceTest.await(() -> asker.repo().has(commit), Duration.ofSeconds(180));

            assertThat(asker.bans(slow)).isFalse();
            assertThat(asker.scoreOf(slow)).isZero();
            assertThat(asker.scoreOf(fastId.publicId())).isZero();
        } finally {
            chatter.interrupt();
        }
    }
}
