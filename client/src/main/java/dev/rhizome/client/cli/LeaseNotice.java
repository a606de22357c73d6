package dev.rhizome.client.cli;

import dev.rhizome.proto.v1.WorkUnit;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A line on standard error when a command that reads (`brief`, `log`, `tree`, `wait`, ...) runs in
 * a claimed workspace whose lease is ending or has ended: an agent that read and edited for longer
 * than the lease (4.5 minutes for tiny-lm) learned it only from `submit`'s refusal, and `rhizome
 * renew` was named nowhere it was looking. Said once a command; standard output is unchanged.
 */
public final class LeaseNotice {
    /** Below this much lease left, a read in the workspace says so. */
    static final long WARN_MS = 120_000;

    private static final AtomicBoolean SAID = new AtomicBoolean();

    private LeaseNotice() {
    }

    /** The notice for a held claim ending at {@code deadlineMs}, or empty while more than {@link #WARN_MS} is left. */
    static Optional<String> line(String unitId, long deadlineMs, long nowMs) {
        // The commands it names are bare on purpose (unlike cli.FollowUp's): it speaks only in a
        // claimed workspace, whose claim names the data directory and coordinator to commands run there.
        long left = deadlineMs - nowMs;
        if (left > WARN_MS) {
            return Optional.empty();
        }
        if (left < 0) {
            return Optional.of("rhizome: the lease on unit " + unitId + " (this workspace's claim) ended " + (-left / 1000)
                    + " s ago; what you committed here still goes in: `rhizome submit` here says how");
        }
        return Optional.of("rhizome: the lease on unit " + unitId + " (this workspace's claim) ends in " + left / 1000
                + " s: `rhizome renew` run here extends it (then submit before it ends)");
    }

    /** Says the notice for the working directory's claim, once a command, when its lease is ending. */
    public static void sayOnce() {
        try {
            WorkspaceClaim.ofWorkingDirectory().flatMap(LeaseNotice::held)
                    .flatMap(u -> line(u.getId(), u.getLeaseDeadlineMs(), System.currentTimeMillis()))
                    .filter(l -> SAID.compareAndSet(false, true))
                    .ifPresent(System.err::println);
        } catch (RuntimeException e) {
            // a notice never fails the command
        }
    }

    private static Optional<WorkUnit> held(WorkspaceClaim claim) {
        try {
            return Optional.of(ClaimFiles.load(claim.dataDir(), claim.unitId()));
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.empty();  // submitted, given back or unreadable: no lease to speak of
        }
    }
}
