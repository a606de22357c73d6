package dev.rhizome.client.agent;

import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;

/**
 * Where this data directory last looked at a listing: per coordinator, list and direction, the
 * coordinator's cursor at the newest entry it was shown (`newest` of the answer). "What is new
 * since I last looked" is then the list read oldest first after that cursor: an index walk at
 * the coordinator, however long the history, and nothing that arrived meanwhile is skipped.
 * Kept in {@code seen-marks.properties}, replaced whole on each write (a kill leaves the old
 * marks or the new). Two commands of one data directory marking at once may lose one's mark:
 * what it showed is then shown again, never skipped.
 */
public final class SeenMarks {
    static final String FILE = "seen-marks.properties";

    private final Path file;

    public SeenMarks(Path dataDir) {
        this.file = dataDir.resolve(FILE);
    }

    private static String key(String coordinator, String list, String direction) {
        return list + "|" + direction + "|" + coordinator;
    }

    /** The cursor kept for this listing, empty when it was never marked here. */
    public Optional<String> get(String coordinator, String list, String direction) {
        String v = read().getProperty(key(coordinator, list, direction));
        return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
    }

    /** Keeps {@code cursor} as the listing's mark (nothing when it is empty: an empty answer moves nothing). */
    public void put(String coordinator, String list, String direction, String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return;
        }
        Properties p = read();
        p.setProperty(key(coordinator, list, direction), cursor);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            p.store(out, "rhizome: the newest entry each listing showed here (log --new, results --new)");
            Files.createDirectories(file.getParent());
            DurableFiles.replace(file, out.toByteArray());
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "cannot keep where this listing ended in " + file + ": "
                    + Problems.describe(e));
        }
    }

    private Properties read() {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            // never marked here
        } catch (IOException | IllegalArgumentException e) {
            throw new CommandException(ExitCodes.FAILED, "cannot read " + file + " (where listings ended): "
                    + Problems.describe(e)
                    + "; remove it to start over (every entry is then new once)");
        }
        return p;
    }
}
