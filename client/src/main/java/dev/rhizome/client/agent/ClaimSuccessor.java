package dev.rhizome.client.agent;

import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.proto.v1.WorkUnit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;

/**
 * The claim a workspace's work goes in under once its own unit's lease is over (ran out, or given
 * back): a claim of the same direction and commit this data directory made since without a
 * workspace. The way on after an expired lease said "claim again, then `rhizome submit --unit
 * NEW_UNIT ...`", a placeholder an agent had to fill from the claim's JSON; with this, both
 * printed commands run as printed: the claim, then `rhizome submit --workspace WS`.
 */
public final class ClaimSuccessor {
    private ClaimSuccessor() {
    }

    /**
     * The live claim {@code unitId}'s work goes in under instead, when {@code unitId}'s lease is
     * over and such a claim is held (the latest lease of them when several are); else empty.
     */
    public static Optional<WorkUnit> of(Path dataDir, String unitId, long nowMs) {
        Optional<String[]> ended = ended(dataDir, unitId, nowMs);
        if (ended.isEmpty()) {
            return Optional.empty();
        }
        return held(dataDir, unitId, ended.get()[0], ended.get()[1], nowMs);
    }

    /**
     * The live claim of {@code unit}'s direction and commit made without a workspace, other than
     * {@code unit}: where the coordinator itself said {@code unit} is over (lease_expired,
     * unit_closed, or a coordinator started afresh that does not know it), while this data
     * directory's copy of its claim still looked live.
     */
    public static Optional<WorkUnit> insteadOf(Path dataDir, WorkUnit unit, long nowMs) {
        return held(dataDir, unit.getId(), unit.getDirection(), unit.getCommit(), nowMs);
    }

    private static Optional<WorkUnit> held(Path dataDir, String except, String direction, String commit, long nowMs) {
        return WorkspacelessClaims.held(dataDir, except, nowMs).stream()
                .filter(u -> u.getDirection().equals(direction) && u.getCommit().equals(commit))
                .max(Comparator.comparingLong(WorkUnit::getLeaseDeadlineMs));
    }

    /**
     * Binds {@code successor} to {@code workspace}: the workspace's claim names it (so later
     * commands run there follow it), and it no longer counts as held without a workspace.
     */
    public static void adopt(Path workspace, WorkUnit successor, Path dataDir, String coordinator) throws IOException {
        new WorkspaceClaim(successor.getId(), dataDir, coordinator).write(workspace);
        WorkspacelessClaims.unmark(dataDir, successor.getId());
    }

    /** The direction and commit of {@code unitId} when its lease is over (expired, or given back). */
    private static Optional<String[]> ended(Path dataDir, String unitId, long nowMs) {
        try {
            if (ClaimFiles.isGivenBack(dataDir, unitId)) {
                return ClaimFiles.givenBackUnit(dataDir, unitId);
            }
            if (!Files.isRegularFile(dataDir.resolve("claims").resolve(unitId + ".pb"))) {
                return Optional.empty();
            }
            WorkUnit unit = ClaimFiles.load(dataDir, unitId);
            return unit.getLeaseDeadlineMs() < nowMs
                    ? Optional.of(new String[] {unit.getDirection(), unit.getCommit()}) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();  // unreadable: the submit says what is wrong with it, as before
        }
    }
}
