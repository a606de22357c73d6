package dev.rhizome.client.cli;

import dev.rhizome.protocol.files.ProcessLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One `rhizome claim` at a time fills a workspace. Two terminals claiming into the same new
 * directory both found it empty, both leased a unit and both checked out into it: the second
 * checkout went in place over the first, one claim's record won, and both answered success, one
 * of them with a workspace that was not its own. The lock is an OS file lock (released when the
 * claim exits, even by kill -9) on a hidden sibling of the workspace, taken before anything is
 * leased and held until the claim ends; it is left in place, as every {@link ProcessLock} is.
 */
public final class WorkspaceLock implements AutoCloseable {
    private final ProcessLock lock;

    private WorkspaceLock(ProcessLock lock) {
        this.lock = lock;
    }

    /** The lock file of {@code workspace}: {@code .NAME.rhizome-lock} beside it. */
    static Path fileOf(Path workspace) {
        Path absolute = workspace.toAbsolutePath().normalize();
        return absolute.resolveSibling("." + absolute.getFileName() + ".rhizome-lock");
    }

    /**
     * Takes the workspace for this claim (its parent made if missing), or refuses with
     * {@code workspace_in_use} (exit 2) naming the claim that holds it.
     */
    public static WorkspaceLock take(Path workspace, FollowUp where) throws IOException {
        Path file = fileOf(workspace);
        Files.createDirectories(file.getParent());
        try {
            return new WorkspaceLock(ProcessLock.acquire(file, "the workspace " + workspace.toAbsolutePath()));
        } catch (ProcessLock.Held held) {
            throw new CommandException(ExitCodes.USAGE, "workspace_in_use", "--workspace " + workspace
                    + " is being filled by another `rhizome claim`" + held.holder(),
                    "give this claim another --workspace, or wait for that claim to finish and work there "
                            + "(`" + where.command("submit --workspace " + Shell.quote(workspace.toAbsolutePath().normalize())) + "`)",
                    "--workspace");
        }
    }

    @Override
    public void close() throws IOException {
        lock.close();
    }
}
