package dev.rhizome.coordinator.core;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.WorkUnit;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Chooses the work a claiming node gets. Evaluations come first, since proposals are worthless
 * until someone runs them; exploration is only handed out while a direction's queue is short.
 */
public final class ClaimPolicy {
    /** A direction with this many evaluations waiting gets no more proposals for now. */
    public static final int MAX_PENDING_EVALUATIONS = 4;
    /** Proposers working on one direction at once. */
    public static final int MAX_LEASED_EXPLORATIONS = 2;

    private final long selfEvaluateAfterMs;

    public ClaimPolicy(Duration selfEvaluateAfter) {
        this.selfEvaluateAfterMs = selfEvaluateAfter.toMillis();
    }

    public sealed interface Decision {
        record Evaluate(UnitRecord unit) implements Decision {
        }

        /** Make a fresh EXPLORE unit for this direction and lease it to the node. */
        record Explore(String direction) implements Decision {
        }

        record Nothing() implements Decision {
        }
    }

    /**
     * @param openEvaluations     OPEN EVALUATE units, oldest first
     * @param commitsTouched      commits among those that this node already ran or holds a lease on
     * @param manifestOfSeed      the manifest of each seed named by a unit or direction
     * @param directions          every direction, in the order they were opened
     */
    public Decision choose(ClaimRequest claim, long nowMs, List<UnitRecord> openEvaluations, Set<String> commitsTouched,
            Function<String, Manifest> manifestOfSeed, List<DirectionLoad> directions) {
        if (acceptsEvaluate(claim)) {
            for (UnitRecord unit : openEvaluations) {
                if (mayEvaluate(claim, nowMs, unit, commitsTouched, manifestOfSeed)) {
                    return new Decision.Evaluate(unit);
                }
            }
        }
        if (claim.getKindsList().contains(WorkUnit.Kind.EXPLORE)) {
            Optional<DirectionLoad> quietest = directions.stream()
                    .filter(d -> claim.getDirection().isEmpty() || claim.getDirection().equals(d.direction()))
                    .filter(d -> HardwareClasses.fits(manifestOfSeed.apply(d.seed()).getHardwareClass(),
                            claim.getHardwareClass()))
                    .filter(d -> d.pendingEvaluations() < MAX_PENDING_EVALUATIONS
                            && d.leasedExplorations() < MAX_LEASED_EXPLORATIONS)
                    .min(Comparator.comparingInt(DirectionLoad::pendingEvaluations));
            if (quietest.isPresent()) {
                return new Decision.Explore(quietest.get().direction());
            }
        }
        return new Decision.Nothing();
    }

    private static boolean acceptsEvaluate(ClaimRequest claim) {
        return claim.getKindsCount() == 0 || claim.getKindsList().contains(WorkUnit.Kind.EVALUATE);
    }

    private boolean mayEvaluate(ClaimRequest claim, long nowMs, UnitRecord unit, Set<String> commitsTouched,
            Function<String, Manifest> manifestOfSeed) {
        if (!claim.getDirection().isEmpty() && !claim.getDirection().equals(unit.direction())) {
            return false;
        }
        if (commitsTouched.contains(unit.commit())) {
            return false;  // replicas must come from different runners
        }
        if (isOwnProposal(claim.getNode(), unit) && nowMs - unit.createdMs() <= selfEvaluateAfterMs) {
            return false;  // prefer an independent runner, but don't let a lone node stall
        }
        return HardwareClasses.fits(manifestOfSeed.apply(unit.seed()).getHardwareClass(), claim.getHardwareClass());
    }

    private static boolean isOwnProposal(ByteString node, UnitRecord unit) {
        return !unit.proposer().isEmpty() && unit.proposer().equals(node);
    }
}
