package dev.rhizome.coordinator.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Whether a database file about to be opened is a whole SQLite database or only the start of one:
 * what a backup killed mid-copy leaves ({@code VACUUM INTO} writes its header page last, so a
 * partial copy begins with zeros), or a copy cut short. SQLite opens a file with a zeroed header as
 * an empty database, so a coordinator restored from such a file started with no directions and no
 * results, and created its tables over the rest: it is refused by name instead, before SQLite
 * touches it. Reads the first 100 bytes only.
 */
public final class SqliteFileCheck {
    private static final byte[] MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    /** The file is not a whole SQLite database: nothing was opened or written. */
    public static final class NotWhole extends IOException {
        NotWhole(String message) {
            super(message);
        }
    }

    private SqliteFileCheck() {
    }

    /**
     * Refuses {@code file} when it is not a whole SQLite database. A missing file passes (SQLite makes
     * a new database there), and so does one with a write-ahead log beside it (its newest pages may live
     * in the log until a checkpoint, a coordinator killed mid-run). An empty one is refused: a backup
     * killed as its copy began leaves one, and SQLite would make a new, empty store in it; a coordinator
     * writes its header (WAL mode) as it opens the file, so none of its own stays empty.
     */
    public static void requireWhole(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return;
        }
        long size = Files.size(file);
        Path wal = file.resolveSibling(file.getFileName() + "-wal");
        boolean logged = Files.isRegularFile(wal) && Files.size(wal) > 0;
        if (size == 0) {
            if (logged) {
                return;
            }
            throw new NotWhole(file + " is empty: not a database, as a backup killed as its copy began leaves "
                    + "it (named FILE" + SqliteBackup.PARTIAL_SUFFIX + "); put a whole backup there, or delete it "
                    + "to start a new, empty store");
        }
        byte[] header = new byte[100];
        int read;
        try (InputStream in = Files.newInputStream(file)) {
            read = in.readNBytes(header, 0, header.length);
        }
        if (read < header.length || !Arrays.equals(header, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new NotWhole(file + " (" + size + " bytes) is not a whole SQLite database: it has no SQLite header, "
                    + "as a copy cut short has (a backup killed before its end leaves one, named FILE"
                    + SqliteBackup.PARTIAL_SUFFIX + "); put a whole backup there (one `rhizome coordinator backup` "
                    + "finished)");
        }
        if (logged) {
            return;
        }
        int rawPageSize = u16(header, 16);
        long pageSize = rawPageSize == 1 ? 65_536 : rawPageSize;
        long changes = u32(header, 24);
        long pages = u32(header, 28);
        long validFor = u32(header, 92);
        // the header's page count is SQLite's own only when written by the change it names (SQLite 3.7.0+)
        if (pages > 0 && changes == validFor && pages * pageSize > size) {
            throw new NotWhole(file + " is cut short: its header says " + pages + " pages of " + pageSize
                    + " bytes (" + pages * pageSize + " bytes), the file holds " + size + " (a partial copy); put "
                    + "a whole backup there (one `rhizome coordinator backup` finished)");
        }
    }

    private static int u16(byte[] b, int at) {
        return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }

    private static long u32(byte[] b, int at) {
        return ((long) (b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }
}
