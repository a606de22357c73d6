package dev.rhizome.coordinator.store;

import dev.rhizome.coordinator.core.Similarity;
import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Optional;
import java.util.Map;

/**
 * Who claimed an EXPLORE unit, and the hypotheses they stated. Part of {@link Store.Transaction}.
 */
public interface Explorations {
    /** Records who claimed an EXPLORE unit and the hypothesis they stated (may be empty). */
    void recordExploreClaim(String unitId, String direction, boolean builtinExplorer, String hypothesis,
            long nowMs);

    /** Per direction: LEASED EXPLORE units held by claimants other than the built-in explorer. */
    Map<String, Integer> leasedAgentExplorations();

    /** Non-empty hypotheses stated in claims on a direction since {@code sinceMs}, newest first. */
    List<Similarity.Text> recentHypotheses(String direction, long sinceMs, int limit);

    /** The key an agent claimed the EXPLORE unit with; empty for the built-in explorer's or an unknown unit. */
    Optional<ByteString> agentClaimant(String unitId);
}
