package dev.rhizome.coordinator.core;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Bounds how often an evaluation is reissued. A unit fails an attempt when its lease runs out or
 * its holder reports the commit UNFETCHABLE; after {@link #MAX_FAILED_ATTEMPTS} failures it is
 * given up, so a commit nobody can serve does not circulate forever and hold its direction's
 * evaluation queue full (the claim policy stops exploration while evaluations are pending).
 * Only proposals are given up: a direction's base or frontier was fetched and measured (or
 * chosen by the operator), and without its trials no candidate could ever be compared.
 *
 * <p>The failures must also come from several keys: one key (or two) letting its leases run out
 * would otherwise get any honest experiment given up. How many is bounded by the runners there
 * are: {@link #MAX_FAILED_ATTEMPTS} distinct keys, or every runner seen lately when there are
 * fewer (a network of one or two nodes still gives a truly unfetchable commit up, after the same
 * number of attempts). A failing key cannot make a runner disappear, so a hostile key among
 * honest ones cannot lower the bar; it can only keep failing, and each expired lease halves its
 * quota ({@link Reputation#onLeaseExpired}).
 *
 * <p>Keys cost nothing, so distinct keys alone would let one person with three fresh keys give an
 * honest experiment up. Once the network has runners with standing (a valid result on record)
 * among those seen lately, failures must also come from as many of them as the rule above asks of
 * all keys (up to {@link #MAX_FAILED_ATTEMPTS}): standing costs real, replicated work per key.
 * A network whose runners are all new still gives a commit up on failures from new keys.
 */
public final class AttemptCap {
    public static final int MAX_FAILED_ATTEMPTS = 3;

    private AttemptCap() {
    }

    /**
     * Why {@code unit} is given up, or empty when it is reissued.
     *
     * @param unit               the unit after its latest failure, OPEN again: each of its {@link UnitRecord#attempts()}
     *                           leases failed (a result would have closed it)
     * @param failedBy           the distinct keys it was leased to, the latest included: every one of them failed it
     * @param runnersSeen        keys running lately (nodes that announced themselves, not paused), failing ones or not
     * @param withStanding       keys with a valid result on record: runners seen lately, and any of {@code failedBy}
     * @param unfetchableReports UNFETCHABLE results its holders reported, for the reason only
     * @param proposal           the unit's commit is a registered experiment, not a direction's base or frontier
     */
    public static Optional<String> giveUp(UnitRecord unit, Set<ByteString> failedBy, Set<ByteString> runnersSeen,
            Set<ByteString> withStanding, int unfetchableReports, boolean proposal) {
        int failed = unit.attempts();
        if (!proposal || unit.kind() != WorkUnit.Kind.EVALUATE || failed < MAX_FAILED_ATTEMPTS
                || failedBy.size() < keysNeeded(failedBy, runnersSeen)
                || standingFailures(failedBy, withStanding) < Math.min(MAX_FAILED_ATTEMPTS, withStanding.size())) {
            return Optional.empty();
        }
        return Optional.of("work unit " + unit.id() + " was given up after " + failed + " failed attempts from "
                + failedBy.size() + " key(s), " + standingFailures(failedBy, withStanding) + " of them with standing ("
                + unfetchableReports + " unfetchable report(s), " + unit.expiredLeases() + " expired lease(s)); at most "
                + MAX_FAILED_ATTEMPTS + " are allowed, from " + MAX_FAILED_ATTEMPTS
                + " keys or every runner seen when there are fewer, as many with a valid result on record");
    }

    private static long standingFailures(Set<ByteString> failedBy, Set<ByteString> withStanding) {
        return failedBy.stream().filter(withStanding::contains).count();
    }

    /** Distinct failing keys it takes: {@link #MAX_FAILED_ATTEMPTS}, or every runner known when there are fewer. */
    static int keysNeeded(Set<ByteString> failedBy, Set<ByteString> runnersSeen) {
        Set<ByteString> runners = new HashSet<>(runnersSeen);
        runners.addAll(failedBy);
        return Math.min(MAX_FAILED_ATTEMPTS, runners.size());
    }
}
