package dev.rhizome.coordinator.store;

import dev.rhizome.coordinator.core.Similarity;
import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.UnderWay;
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

    /**
     * The explorations agents claimed on {@code direction} with a hypothesis and hold now (LEASED),
     * newest claim first, at most {@code limit}: read along the units' direction index, as many rows
     * as there are live explorations of the direction.
     */
    List<UnderWay> underWay(String direction, int limit);

    /** The key an agent claimed the EXPLORE unit with; empty for the built-in explorer's or an unknown unit. */
    Optional<ByteString> agentClaimant(String unitId);
}
