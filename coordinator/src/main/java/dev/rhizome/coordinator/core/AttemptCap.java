package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.WorkUnit;
import java.util.Optional;

/**
 * Bounds how often an evaluation is reissued. A unit fails an attempt when its lease runs out or
 * its holder reports the commit UNFETCHABLE; after {@link #MAX_FAILED_ATTEMPTS} failures it is
 * given up, so a commit nobody can serve does not circulate forever and hold its direction's
 * evaluation queue full (the claim policy stops exploration while evaluations are pending).
 * Only proposals are given up: a direction's base or frontier was fetched and measured (or
 * chosen by the operator), and without its trials no candidate could ever be compared.
 */
public final class AttemptCap {
    public static final int MAX_FAILED_ATTEMPTS = 3;

    private AttemptCap() {
    }

    /**
     * Why {@code unit} is given up, or empty when it is reissued.
     *
     * @param unit               the unit after its latest failure (an expiry already counted in it)
     * @param unfetchableReports UNFETCHABLE results its holders reported, the latest included
     * @param proposal           the unit's commit is a registered experiment, not a direction's base or frontier
     */
    public static Optional<String> giveUp(UnitRecord unit, int unfetchableReports, boolean proposal) {
        int failed = unit.expiredLeases() + unfetchableReports;
        if (!proposal || unit.kind() != WorkUnit.Kind.EVALUATE || failed < MAX_FAILED_ATTEMPTS) {
            return Optional.empty();
        }
        return Optional.of("work unit " + unit.id() + " was given up after " + failed + " failed attempts ("
                + unfetchableReports + " unfetchable report(s), " + unit.expiredLeases()
                + " expired lease(s)); at most " + MAX_FAILED_ATTEMPTS + " are allowed");
    }
}
