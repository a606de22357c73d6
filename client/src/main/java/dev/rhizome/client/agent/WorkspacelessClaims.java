package dev.rhizome.client.agent;

import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.HeldClaims;
import dev.rhizome.proto.v1.WorkUnit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The claims a data directory made without {@code --workspace} and still holds. A new user ran
 * `claim` without a workspace, then `claim --workspace DIR` to get a checkout, and held two units,
 * the first leased to nobody who meant to use it: each later claim names such units, and how to
 * submit or give them back. Marked in the unit's own directory ({@link Research#unitDir}), which
 * outlives the claim harmlessly: a unit counts only while its claim is held.
 */
public final class WorkspacelessClaims {
    private static final String MARK = "claimed-without-workspace";

    private WorkspacelessClaims() {
    }

    /** Records that {@code unitId} was claimed with nothing checked out. */
    public static void mark(Path dataDir, String unitId) throws IOException {
        Path dir = Research.unitPath(dataDir, unitId);
        Files.createDirectories(dir);
        Files.write(dir.resolve(MARK), new byte[0]);
    }

    /** Forgets the mark: the unit is bound to a workspace now ({@link ClaimSuccessor#adopt}). */
    public static void unmark(Path dataDir, String unitId) throws IOException {
        Files.deleteIfExists(Research.unitPath(dataDir, unitId).resolve(MARK));
    }

    /** The units claimed without a workspace that the data directory holds, their leases running, but {@code except}. */
    public static List<WorkUnit> held(Path dataDir, String except, long nowMs) {
        List<WorkUnit> held = new ArrayList<>();
        for (String id : HeldClaims.heldIds(dataDir)) {
            if (id.equals(except) || !Files.exists(Research.unitPath(dataDir, id).resolve(MARK))) {
                continue;
            }
            try {
                WorkUnit unit = ClaimFiles.load(dataDir, id);
                if (unit.getLeaseDeadlineMs() > nowMs) {
                    held.add(unit);
                }
            } catch (IOException | RuntimeException e) {
                // a claim that cannot be read is said by the commands that use it, not by the next claim
            }
        }
        return held;
    }
}
