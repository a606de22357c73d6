package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A holder whose tries of a commit ran out is not queued again by announcing it anew on the same
 * link, but is once it links again: a sole holder that was down while its tries ran out (found by
 * simulation seed 585) must be asked again when it comes back, or nobody ever fetches the commit.
 */
class FetchPlannerRelinkTest {
    private static final String COMMIT = "a".repeat(40);

    @Test
    void aSoleHolderWhoseTriesRanOutIsAskedAgainOnceItLinksAgain() {
        GossipConfig config = GossipConfig.defaults();
        WantTable wants = new WantTable(config);
        FetchPlanner planner = new FetchPlanner(config, new HeldCommits(config.maxCommitsPerInventory()), wants);
        HolderClaims claims = new HolderClaims(wants);
        PublicId holder = Identity.generate().publicId();
        long now = 1_000;
        // the node's work waits for the commit, so the want outlives its holders' tries
        FetchPlanner.Start start = planner.needed(COMMIT, List.of(holder), now);
        for (int attempt = 1; attempt <= FetchPlanner.MAX_ATTEMPTS; attempt++) {
            assertThat(start).as("try %d", attempt).isEqualTo(new FetchPlanner.Start(holder, COMMIT));
            start = planner.failed(holder, COMMIT, true, now);
            now += 600_000; // every back-off has passed
            if (start == null) {
                start = planner.ready(now).stream().findFirst().orElse(null);
            }
        }
        assertThat(start).as("its tries are spent").isNull();
        assertThat(planner.announced(holder, COMMIT, now)).as("announcing it again on the same link buys no more")
                .isNull();

        claims.relinked(holder);
        assertThat(planner.announced(holder, COMMIT, now)).as("its greeting on a new link")
                .isEqualTo(new FetchPlanner.Start(holder, COMMIT));
    }
}
