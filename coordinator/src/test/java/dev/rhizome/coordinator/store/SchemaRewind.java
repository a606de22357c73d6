package dev.rhizome.coordinator.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a SQLite store back to an earlier schema version, for tests of what a migration does with
 * the rows it finds: drops every table, index and trigger the later migrations made, found by
 * comparing with a fresh database migrated to that version (a list kept by hand in each such test
 * broke at every new migration). A later migration that changed an object the earlier version
 * already had (a column added, an index redefined) cannot be rewound by dropping: that is refused,
 * naming the object.
 */
public final class SchemaRewind {
    private SchemaRewind() {
    }

    /** Rewinds the store file {@code database} to schema {@code version}. */
    public static void sqlite(Path database, int version) throws SQLException {
        Map<String, String> then = objectsAt(version);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
                Statement s = c.createStatement()) {
            for (Map.Entry<String, String> now : objects(c).entrySet()) {
                String name = now.getKey();
                String sql = then.get(name);
                if (sql == null) {
                    // a later migration's: tables first (their indexes and triggers go with them)
                    continue;
                }
                if (!sql.equals(now.getValue())) {
                    throw new IllegalStateException("a migration after " + version + " changed " + name
                            + ", which dropping cannot rewind: rewind it by hand");
                }
            }
            for (String table : objects(c, "table").keySet()) {
                if (!then.containsKey(table)) {
                    s.execute("DROP TABLE \"" + table + "\"");
                }
            }
            for (String type : new String[] {"index", "trigger", "view"}) {
                for (String name : objects(c, type).keySet()) {
                    if (!then.containsKey(name)) {
                        s.execute("DROP " + type.toUpperCase(Locale.ROOT) + " \"" + name + "\"");
                    }
                }
            }
            s.execute("DELETE FROM schema_version WHERE version > " + version);
        }
    }

    private static Map<String, String> objectsAt(int version) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:")) {
            c.setAutoCommit(false);
            SqliteSchema.migrate(c, Dialect.SQLITE, version);
            return objects(c);
        }
    }

    private static Map<String, String> objects(Connection c) throws SQLException {
        return objects(c, null);
    }

    /** The schema's objects of {@code type} (every type for null) by name, with their SQL. */
    private static Map<String, String> objects(Connection c, String type) throws SQLException {
        Map<String, String> found = new LinkedHashMap<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT type, name, sql FROM sqlite_master"
                        + " WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL")) {
            while (rs.next()) {
                if (type == null || type.equals(rs.getString(1))) {
                    found.put(rs.getString(2), rs.getString(3));
                }
            }
        }
        return found;
    }
}
