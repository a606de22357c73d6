package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.control.ControlClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * `rhizome node doctor`'s look at the node running on the data directory, if one does: whether its
 * reads of bundle files are blocked on the disk. A blocked read costs an asker nothing (it is told
 * BUSY and asks another holder), so nothing outside the node would show a volunteer that it serves
 * less or nothing; its status answers how many readers are blocked, and this says it as a check.
 */
record ServingCheck(boolean ok, int bundleReadersBlocked, String detail, String fix) {
    /** How long the doctor waits for the node's answer: a node stuck on its disk may not answer at all. */
    static final long ANSWER_MS = 5_000;
    static final String FIX = "check the disk holding the data directory's repository (dmesg, smartctl); "
            + "the readers return when their reads do, or restart the node";

    /** The check of the node on {@code dataDir}; empty when none runs there (its control socket absent or left by one that stopped). */
    static Optional<ServingCheck> of(Path dataDir) {
        Path socket = new NodeLayout(dataDir).controlSocket();
        if (!Files.exists(socket)) {
            return Optional.empty();
        }
        String text;
        try {
            text = ControlClient.request(socket, "status", Duration.ofMillis(ANSWER_MS));
        } catch (ControlClient.NotAnswering e) {
            return Optional.of(new ServingCheck(false, -1, "the node on this data directory did not answer its status in "
                    + ANSWER_MS / 1000 + " s", "its log says why (`journalctl -u rhizome-node` under systemd); " + FIX));
        } catch (IOException e) {
            return Optional.empty();  // none runs there: the socket is left from one that stopped
        }
        JsonObject status = NodeCommand.answerOf(text);
        if (!status.has("peers") || !status.get("peers").isJsonObject()
                || !status.getAsJsonObject("peers").has("bundle_readers_blocked")) {
            return Optional.empty();  // a node older than this count
        }
        int blocked = status.getAsJsonObject("peers").get("bundle_readers_blocked").getAsInt();
        return Optional.of(blocked == 0
                ? new ServingCheck(true, 0, "the running node's reads of bundle files for peers return", "")
                : new ServingCheck(false, blocked, blockedReaders(blocked), FIX));
    }

    /** The words for {@code blocked} readers held on the disk, as status and doctor say them. */
    static String blockedReaders(int blocked) {
        return blocked + " bundle reader" + (blocked == 1 ? " is" : "s are")
                + " blocked on the disk: uploads to peers are served by spare readers, and answered BUSY once those are blocked too";
    }

    JsonObject json() {
        JsonObject o = new JsonObject();
        o.addProperty("ok", ok);
        o.addProperty("bundle_readers_blocked", bundleReadersBlocked < 0 ? null : bundleReadersBlocked);
        o.addProperty("detail", detail);
        o.addProperty("fix", fix.isEmpty() ? null : fix);
        return o;
    }
}
