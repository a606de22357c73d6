package dev.rhizome.client.cli;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.nio.file.Path;

/** Shared plumbing for commands that call the coordinator: identity, client, error mapping. */
public final class Coordinators {
    private Coordinators() {
    }

    public static Identity identity(Path dataDir) {
        try {
            return IdentityStore.loadOrCreate(dataDir);
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "cannot load identity from " + dataDir + ": " + e.getMessage());
        }
    }

    public static CoordinatorClient client(CoordinatorOption coordinator, DataDirOption dataDir) {
        try {
            return new CoordinatorClient(coordinator.url(), identity(dataDir.path()));
        } catch (IllegalArgumentException e) {
            throw new CommandException(ExitCodes.USAGE, e.getMessage());
        }
    }

    /** A read from the coordinator. */
    @FunctionalInterface
    public interface Read<T> {
        T from(CoordinatorClient client) throws CoordinatorException;
    }

    /** Reads from the coordinator, turning a failure into the command's exit. */
    public static <T> T read(CoordinatorOption coordinator, DataDirOption dataDir, Read<T> read) {
        try {
            return read.from(client(coordinator, dataDir));
        } catch (CoordinatorException e) {
            throw failure(e);
        }
    }

    /** Maps a coordinator failure to the exit code that says what kind it was. */
    public static CommandException failure(CoordinatorException e) {
        return new CommandException(e.status() == 0 ? ExitCodes.UNREACHABLE
                : e.isRefusal() ? ExitCodes.REFUSED : ExitCodes.FAILED, e.getMessage());
    }
}
