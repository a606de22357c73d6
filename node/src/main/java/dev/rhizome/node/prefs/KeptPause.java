package dev.rhizome.node.prefs;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The volunteer's pause, kept in the data directory ({@link NodeLayout#pauseFile}) so that a
 * restart (a reboot, an upgrade, a service manager's restart after a crash) does not start jobs
 * the volunteer stopped: it was kept in memory only, and a paused node came back claiming. The
 * file's presence is the pause; its content says since when. Written whole and durably (a
 * temporary sibling renamed over it, both forced), removed durably on resume.
 */
public final class KeptPause {
    private static final Gson GSON = new Gson();

    private KeptPause() {
    }

    /** A write or removal of the kept pause. */
    @FunctionalInterface
    public interface Change {
        void run() throws IOException;
    }

    /**
     * The pause kept in {@code dataDir}, if any, with the time it began ({@code -1} when the file
     * is there but unreadable: it exists only because of a pause, so it still pauses).
     */
    public static Optional<Long> since(Path dataDir) {
        Path file = new NodeLayout(dataDir).pauseFile();
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            JsonObject o = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            return Optional.of(o.get("paused_since_ms").getAsLong());
        } catch (IOException | JsonParseException | IllegalStateException | NullPointerException
                | UnsupportedOperationException | NumberFormatException e) {
            return Optional.of(-1L);
        }
    }

    /** Keeps a pause begun at {@code sinceMs}. */
    public static void keep(Path dataDir, long sinceMs) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("paused_since_ms", sinceMs);
        DurableFiles.replace(new NodeLayout(dataDir).pauseFile(), (GSON.toJson(o) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Forgets the pause: the next start claims work. */
    public static void forget(Path dataDir) throws IOException {
        DurableFiles.delete(new NodeLayout(dataDir).pauseFile());
    }
}
