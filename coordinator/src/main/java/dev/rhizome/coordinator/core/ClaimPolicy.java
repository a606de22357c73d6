package dev.rhizome.coordinator.core;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
    /**
     * Fair exploration: the built-in explorer holds at most this many EXPLORE leases per direction
     * and stops at {@link #MAX_PENDING_EVALUATIONS}; agents (every other claimant) have their own
     * {@link #AGENT_EXPLORATIONS} leases and wait only when the queue reaches
     * {@link #AGENT_PENDING_EVALUATIONS}, so an explorer can never crowd agents out.
     */
    public static final int EXPLORER_EXPLORATIONS = MAX_LEASED_EXPLORATIONS;
    public static final int AGENT_EXPLORATIONS = 4;
    public static final int AGENT_PENDING_EVALUATIONS = 4 * MAX_PENDING_EVALUATIONS;
    /** Retry hints for an empty claim: evaluations drain in about a job's time; leases end sooner or later. */
    public static final int RETRY_QUEUE_FULL_S = 15;
    public static final int RETRY_LEASES_FULL_S = 30;
    public static final int RETRY_NOTHING_S = 60;

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

        /**
         * No unit: {@code reason} says why, {@code retryAfterS} when claiming again may help;
         * {@code directionClosed} when the direction claimed is closed, which no wait changes.
         */
        record Nothing(String reason, int retryAfterS, boolean directionClosed) implements Decision {
            public Nothing() {
                this("no work", RETRY_NOTHING_S);
            }

            public Nothing(String reason, int retryAfterS) {
                this(reason, retryAfterS, false);
            }
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
        return choose(claim, nowMs, openEvaluations, commitsTouched, manifestOfSeed, directions, Map.of());
    }

    /**
     * @param agentExplorations per direction, the LEASED EXPLORE units held by claimants other than
     *                          the built-in explorer (the rest of {@link DirectionLoad#leasedExplorations()})
     */
    public Decision choose(ClaimRequest claim, long nowMs, List<UnitRecord> openEvaluations, Set<String> commitsTouched,
            Function<String, Manifest> manifestOfSeed, List<DirectionLoad> directions,
            Map<String, Integer> agentExplorations) {
        if (acceptsEvaluate(claim)) {
            for (UnitRecord unit : openEvaluations) {
                if (mayEvaluate(claim, nowMs, unit, commitsTouched, manifestOfSeed)) {
                    return new Decision.Evaluate(unit);
                }
            }
        }
        if (!claim.getKindsList().contains(WorkUnit.Kind.EXPLORE)) {
            return new Decision.Nothing("no open evaluation this node may run"
                    + (claim.getDirection().isEmpty() ? "" : " on " + claim.getDirection()), RETRY_QUEUE_FULL_S);
        }
        List<DirectionLoad> fitting = directions.stream()
                .filter(d -> claim.getDirection().isEmpty() || claim.getDirection().equals(d.direction()))
                .filter(d -> HardwareClasses.fits(manifestOfSeed.apply(d.seed()).getHardwareClass(),
                        claim.getHardwareClass()))
                .toList();
        if (fitting.isEmpty()) {
            return new Decision.Nothing(directions.isEmpty() ? "no direction is open"
                    : "no direction" + (claim.getDirection().isEmpty() ? "" : " named " + claim.getDirection())
                            + " fits hardware class '" + claim.getHardwareClass() + "'", RETRY_NOTHING_S);
        }
        Optional<DirectionLoad> quietest = fitting.stream()
                .filter(d -> refusal(claim, d, agentExplorations.getOrDefault(d.direction(), 0)).isEmpty())
                .min(Comparator.comparingInt(DirectionLoad::pendingEvaluations));
        if (quietest.isPresent()) {
            return new Decision.Explore(quietest.get().direction());
        }
        DirectionLoad first = fitting.get(0);
        String why = refusal(claim, first, agentExplorations.getOrDefault(first.direction(), 0)).orElseThrow();
        boolean queueFull = why.contains("evaluations");
        return new Decision.Nothing(why, queueFull ? RETRY_QUEUE_FULL_S : RETRY_LEASES_FULL_S);
    }

    /** Why this claimant may not explore the direction now, empty when it may. */
    static Optional<String> refusal(ClaimRequest claim, DirectionLoad d, int agentLeases) {
        boolean explorer = claim.getBuiltinExplorer();
        int pendingLimit = explorer ? MAX_PENDING_EVALUATIONS : AGENT_PENDING_EVALUATIONS;
        if (d.pendingEvaluations() >= pendingLimit) {
            return Optional.of("direction " + d.direction() + " has " + d.pendingEvaluations()
                    + " evaluations pending; " + (explorer ? "the built-in explorer" : "agents")
                    + " may explore below " + pendingLimit);
        }
        int held = explorer ? d.leasedExplorations() - agentLeases : agentLeases;
        int leaseLimit = explorer ? EXPLORER_EXPLORATIONS : AGENT_EXPLORATIONS;
        if (held >= leaseLimit) {
            return Optional.of("direction " + d.direction() + " already has " + held + " EXPLORE lease(s) held by "
                    + (explorer ? "built-in explorers" : "agents") + " (at most " + leaseLimit + ")");
        }
        return Optional.empty();
    }

    /** Whether the claim takes EVALUATE units ({@code kinds} empty or naming it). */
    public static boolean acceptsEvaluate(ClaimRequest claim) {
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
        if (claim.getFetchingGivenBackList().contains(unit.commit())) {
            // the claimant gave a unit of it back for a slow download that goes on: leased to it again,
            // its slot would wait on the same download. Only this claim skips it: no direction waits.
            return false;
        }
        if (isOwnProposal(claim.getNode(), unit) && nowMs - unit.createdMs() <= selfEvaluateAfterMs) {
            return false;  // prefer an independent runner, but don't let a lone node stall
        }
        if (justLetItExpire(claim.getNode(), unit) && nowMs - unit.leaseDeadlineMs() <= selfEvaluateAfterMs) {
            return false;  // another key tries it first; the same wait keeps a lone node going
        }
        return HardwareClasses.fits(manifestOfSeed.apply(unit.seed()).getHardwareClass(), claim.getHardwareClass());
    }

    /** The unit's last lease was this key's and ran out ({@link UnitRecord#expired()} keeps holder and deadline). */
    static boolean justLetItExpire(ByteString node, UnitRecord unit) {
        return unit.state() == UnitStatus.State.OPEN && unit.expiredLeases() > 0
                && unit.holder().equals(node);
    }

    private static boolean isOwnProposal(ByteString node, UnitRecord unit) {
        return !unit.proposer().isEmpty() && unit.proposer().equals(node);
    }
}
