package dev.rhizome.node.gossip.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.gossip.core.GossipCore;
import dev.rhizome.node.gossip.core.Wants;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The stall rule on the gossip fetch, below its minimum: a holder that claims a real commit and,
 * asked for it, sends valid frames at four bytes a second (a byte every quarter second, against the
 * rule's 64 KiB per 10 s) is left for the commit's honest holder, which linked later, and the
 * commit arrives within the core's bounds (a stall judged within two stall periods, a slow
 * transfer moved at three); the honest holder is never charged. Just above the
 * minimum, on this path, is {@link SlowHolderLoopbackTest}'s (no one charged); the fetcher's own
 * paths, whole and in pieces, are {@code peer.TrickleRuleLoopbackTest}'s. Real nodes on loopback.
 */
class TrickleRuleGossipLoopbackTest extends LoopbackTest {
    @Test
    void aHolderSendingAByteEveryQuarterSecondIsLeftForTheHonestHolder() throws Exception {
        Path makerDir = tmp.resolve("maker");
        String commit;
        try (NodeRepository repo = NodeRepository.open(makerDir.resolve("repo.git"))) {
            commit = repo.commitFiles(null, Map.of("a.txt", "real".getBytes()), "real", GossipServiceTest.AUTHOR);
        }
        TricklingPeer trickler = net.listed(new TricklingPeer(List.of(commit), 4));
        PublicId rogue = trickler.identity.publicId();
        LoopbackNet.Started asker = net.start(tmp.resolve("asker"), Identity.generate(), Wants.everything(), null, true);
        // The asker fetches the commit from the trickler, its only holder so far.
        GossipServiceTest.await(() -> LoopbackNet.ask(asker.gossip(), p -> ((GossipCore) p).connectedPeers().contains(rogue)
                && ((GossipCore) p).stats().fetchesStarted() >= 1), Duration.ofSeconds(60));
        LoopbackNet.Started maker = net.start(makerDir, Identity.generate(), Wants.everything(), null, true);
        maker.gossip().onLocalCommit(commit);

        // Two stall periods (20 s) for the stall, three for the slow rule; the rest is for a loaded host.
        GossipServiceTest.await(() -> asker.repo().has(commit), Duration.ofSeconds(120));

        // The trickler's stall costs it -4 unless the asker was starved meanwhile (the core's excuse, which a
        // loaded test host may earn), so only the honest side is asserted.
        assertThat(asker.scoreOf(maker.id())).isZero();
        // The trickler's transfer was ended by the rule (failed, retried elsewhere), never finished.
        long failed = LoopbackNet.<Long>ask(asker.gossip(), p -> ((GossipCore) p).stats().fetchesFailed());
        assertThat(failed).isPositive();
        assertThat(asker.scoreOf(rogue)).isLessThanOrEqualTo(0);
    }
}
