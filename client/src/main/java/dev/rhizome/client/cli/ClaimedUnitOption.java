package dev.rhizome.client.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The claimed unit a command acts on (submit, renew, unclaim): named by {@code --unit}, or by the
 * claim of the workspace {@code rhizome claim} checked out, whose coordinator and data directory
 * then become the defaults.
 */
public final class ClaimedUnitOption {
    @Option(names = "--unit", description = "The claimed unit's id, `unit.id` in `rhizome claim --json` (default: the unit `rhizome claim` checked the workspace out for).", paramLabel = "UNIT")
    String unitId;
    @Option(names = "--workspace", paramLabel = "DIR", defaultValue = ".", converter = PathArguments.InputDirectory.class,
            description = "The workspace `rhizome claim` made (default: current directory).")
    Path workspace;

    /** The unit's id; a claimed workspace also sets the defaults of {@code dataDir} and {@code coordinator}. */
    public String resolve(DataDirOption dataDir, CoordinatorOption coordinator) {
        return WorkspaceClaim.applyTo(workspace, unitId, dataDir, coordinator);
    }

    /** {@code --unit} when it named the unit, else null (the workspace's claim did). */
    public String option() {
        return unitId != null ? "--unit" : null;
    }

    public Path workspace() {
        return workspace;
    }
}
