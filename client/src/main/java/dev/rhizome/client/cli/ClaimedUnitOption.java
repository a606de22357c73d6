package dev.rhizome.client.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;

/**
 * The claimed unit a command acts on (submit, renew, unclaim): named by {@code --unit}, or by the
 * claim of the workspace {@code rhizome claim} checked out, whose coordinator and data directory
 * then become the defaults.
 */
public final class ClaimedUnitOption {
    @Option(names = "--unit", description = "The claimed unit's id, `unit.id` in `rhizome claim --json`; a unique start of it (4+ characters) is enough (default: the unit `rhizome claim` checked the workspace out for).", paramLabel = "UNIT")
    String unitId;
    @Option(names = "--workspace", paramLabel = "DIR", converter = PathArguments.InputDirectory.class,
            description = "The workspace `rhizome claim` made (default: the one the current directory is in, "
                    + "itself or a directory above it; else the current directory).")
    Path workspace;

    /** The unit's id; a claimed workspace also sets the defaults of {@code dataDir} and {@code coordinator}. */
    public String resolve(DataDirOption dataDir, CoordinatorOption coordinator) {
        return WorkspaceClaim.applyTo(workspace(), unitId, dataDir, coordinator);
    }

    /** {@code --unit} when it named the unit, else null (the workspace's claim did). */
    public String option() {
        return unitId != null ? "--unit" : null;
    }

    /**
     * Runs {@code action} on the unit, an unknown name it met with no option named (the unit's
     * direction, which the coordinator does not have: a coordinator started afresh) naming the
     * option that named the unit: {@code --unit}, or {@code --workspace} whose claim did.
     */
    public <T> T naming(Callable<T> action) throws Exception {
        try {
            return action.call();
        } catch (CommandException e) {
            if (e.option() == null && e.error().startsWith("unknown_")) {
                throw e.withOption(unitId != null ? "--unit" : "--workspace");
            }
            throw e;
        }
    }

    /** {@code --workspace}, or the claimed workspace the command runs in (see {@link WorkspaceClaim#defaultWorkspace}). */
    public Path workspace() {
        return workspace != null ? workspace : WorkspaceClaim.defaultWorkspace();
    }

    /** The workspace when `rhizome claim` checked it out for {@code unitId} (the unit's work is there); null otherwise. */
    public Path workspaceOf(String unitId) {
        Path w = workspace();
        return WorkspaceClaim.read(w).filter(c -> c.unitId().equals(unitId)).map(c -> w).orElse(null);
    }
}
