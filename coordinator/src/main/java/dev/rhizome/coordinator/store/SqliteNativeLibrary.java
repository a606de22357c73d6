package dev.rhizome.coordinator.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.sqlite.SQLiteJDBCLoader;

/**
 * Loads sqlite-jdbc's native library so that nothing of it stays on disk. The driver copies the
 * library into the temporary directory and deletes it only when the JVM exits normally, so a
 * coordinator killed with SIGKILL left a megabyte and a lock file behind on every kill. Here the
 * copy goes into a private directory that is deleted as soon as the library is loaded (a loaded
 * library needs no file on Linux), so a kill at any later moment leaves nothing.
 */
final class SqliteNativeLibrary {
    private static final String TMPDIR_PROPERTY = "org.sqlite.tmpdir";
    private static boolean loaded;

    private SqliteNativeLibrary() {
    }

    static synchronized void load() {
        if (loaded) {
            return;
        }
        if (System.getProperty(TMPDIR_PROPERTY) != null || System.getProperty("org.sqlite.lib.path") != null) {
            loaded = true;  // the operator chose where the library comes from: leave it to the driver
            return;
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("rhizome-sqlite-");
        } catch (IOException e) {
            loaded = true;  // no private directory: the driver's own default still works
            return;
        }
        System.setProperty(TMPDIR_PROPERTY, dir.toString());
        try {
            SQLiteJDBCLoader.initialize();
        } catch (Exception e) {
            // the first connection reports the driver's failure with its own message
        } finally {
            System.clearProperty(TMPDIR_PROPERTY);
            deleteTree(dir);
            loaded = true;
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // what is left is in a directory of its own, named for what it is
        }
    }
}
