package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.node.prefs.KeptPause;
import dev.rhizome.node.prefs.PauseLock;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * `rhizome node pause` and `resume` with no node running: the kept pause ({@link KeptPause}) is what
 * the node's next start reads, so a volunteer can pause a stopped node before a service manager or a
 * reboot starts it (both ended in {@code no_node}, and the node started claiming). Only on a data
 * directory a node has used (its key is there): on any other, most likely a mistyped --data-dir, a
 * pause file would pause nothing, and {@code no_node} says so as before.
 */
final class OfflinePause {
    private OfflinePause() {
    }

    /**
     * A node holds the kept pause ({@link PauseLock}): one starting (its socket not yet bound) or
     * stopping (its socket closed), or running with a socket this command could not reach: the
     * change is the node's to make, asked again over its socket.
     */
    static final class NodeHolds extends RuntimeException {
        NodeHolds() {
            super(null, null, false, false);
        }
    }

    /**
     * The answer to a pause ({@code paused}) or resume kept in {@code dataDir}, or empty where no node
     * has used it; {@link NodeHolds} where a node holds the kept pause now.
     */
    static Optional<JsonObject> change(Path dataDir, boolean paused) {
        Path key = dataDir.resolve(IdentityStore.FILE_NAME);
        if (!Files.isRegularFile(key)) {
            return Optional.empty();
        }
        try {
            Optional<PauseLock> lock = PauseLock.tryTake(dataDir);
            if (lock.isEmpty()) {
                throw new NodeHolds();
            }
            try (PauseLock held = lock.get()) {
                if (paused) {
                    KeptPause.keep(dataDir, System.currentTimeMillis());
                } else {
                    KeptPause.forget(dataDir);
                }
            }
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "failed", "no node is running on " + dataDir + ", and the "
                    + (paused ? "pause could not be kept for its next start" : "kept pause could not be removed")
                    + ": " + e.getMessage(), "check that the data directory is writable by this user");
        }
        JsonObject answer = new JsonObject();
        answer.addProperty("node", nodeId(key));
        answer.addProperty("paused", paused);
        answer.addProperty("kept", true);
        answer.add("problem", null);
        answer.addProperty("running", false);
        return Optional.of(answer);
    }

    /** Marks a running node's answer as one (an answer {@link #change} gave has {@code running} false already). */
    static void markRunning(JsonObject answer) {
        if (!answer.has("running")) {
            answer.addProperty("running", true);
        }
    }

    /** The node's key, hex, or null where its key file cannot be read by this user. */
    private static String nodeId(Path key) {
        try {
            return IdentityStore.load(key).publicId().toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
