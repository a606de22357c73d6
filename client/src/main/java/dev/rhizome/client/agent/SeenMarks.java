package dev.rhizome.client.agent;

import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Problems;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Where this data directory last looked at a listing: per network, list and direction, the
 * coordinator's cursor at the newest entry it was shown (`newest` of the answer). "What is new
 * since I last looked" is then the list read oldest first after that cursor: an index walk at
 * the coordinator, however long the history, and nothing that arrived meanwhile is skipped.
 *
 * <p>Marks are kept under the coordinator's network id (two URLs of one network, a host name and
 * its address, share one mark), under its URL where it names no network; a mark kept under the URL
 * before (round 21) is still read, and moved under the network id by the next write. Kept in
 * {@code seen-marks.properties}, replaced whole on each write (a kill leaves the old marks or the
 * new), each read-modify-write under {@code seen-marks.lock} (a file lock, so two commands marking
 * at once, in two processes or two threads, both keep their marks). A cursor is the coordinator's
 * text: one longer than {@link #MAX_CURSOR_CHARS} or not in its alphabet is refused, never kept.
 */
public final class SeenMarks {
    static final String FILE = "seen-marks.properties";
    static final String LOCK = "seen-marks.lock";
    /** The coordinator's own bound on a cursor (`core.Cursor.MAX_LENGTH`). */
    public static final int MAX_CURSOR_CHARS = 1024;
    /** What the coordinator's cursors are written in: unpadded base64url. */
    private static final Pattern CURSOR = Pattern.compile("[A-Za-z0-9_-]+");
    /** One process's threads: a file lock is held per process, and asking twice from one throws. */
    private static final ReentrantLock IN_PROCESS = new ReentrantLock();

    private final Path file;
    private final Path lock;

    public SeenMarks(Path dataDir) {
        this.file = dataDir.resolve(FILE);
        this.lock = dataDir.resolve(LOCK);
    }

    /**
     * Where a coordinator's marks are kept: {@code network:ID} when it names its network, else its
     * URL (a coordinator too old to name one, or one that cannot be asked now).
     */
    public static String place(CoordinatorClient client) {
        try {
            return "network:" + client.network();
        } catch (CoordinatorException | RuntimeException e) {
            return client.url().toString();
        }
    }

    private static String key(String place, String list, String direction) {
        return list + "|" + direction + "|" + place;
    }

    /** The cursor kept for this listing at this coordinator, empty when it was never marked here. */
    public Optional<String> get(CoordinatorClient client, String list, String direction) {
        Properties p = read();
        String v = p.getProperty(key(place(client), list, direction));
        if (v == null) {
            v = p.getProperty(key(client.url().toString(), list, direction));
        }
        // a mark edited into something no coordinator wrote is a first look again, not a failed read
        return v == null || v.length() > MAX_CURSOR_CHARS || !CURSOR.matcher(v).matches() ? Optional.empty()
                : Optional.of(v);
    }

    /**
     * Keeps {@code cursor} as the listing's mark at this coordinator (nothing when it is empty: an
     * empty answer moves nothing); refuses a cursor that is not one the coordinator writes.
     */
    public void put(CoordinatorClient client, String list, String direction, String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return;
        }
        if (cursor.length() > MAX_CURSOR_CHARS || !CURSOR.matcher(cursor).matches()) {
            throw new CommandException(ExitCodes.FAILED, "the coordinator at " + client.url() + " answered a `newest` "
                    + "cursor that is not one (" + cursor.length() + " characters; at most " + MAX_CURSOR_CHARS
                    + ", base64url): not kept, so the next --new shows these entries again");
        }
        String place = place(client);
        String legacy = key(client.url().toString(), list, direction);
        IN_PROCESS.lock();
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock held = ch.lock()) {
                Properties p = read();
                if (!place.equals(client.url().toString())) {
                    p.remove(legacy);
                }
                p.setProperty(key(place, list, direction), cursor);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                p.store(out, "rhizome: the newest entry each listing showed here (log --new, results --new, papers --new)");
                DurableFiles.replace(file, out.toByteArray());
            }
        } catch (IOException e) {
            throw new CommandException(ExitCodes.FAILED, "cannot keep where this listing ended in " + file + ": "
                    + Problems.describe(e));
        } finally {
            IN_PROCESS.unlock();
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
