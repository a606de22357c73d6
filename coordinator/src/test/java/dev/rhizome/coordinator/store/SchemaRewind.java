package dev.rhizome.coordinator.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a SQLite store back to an earlier schema version, for tests of what a migration does with
 * the rows it finds: drops every table, index and trigger the later migrations made, found by
 * comparing with a fresh database migrated to that version (a list kept by hand in each such test
 * broke at every new migration). Columns a later migration added to a table the earlier version
 * already had are dropped with it (ALTER TABLE ADD COLUMN appends them, so the earlier columns are
 * the table's first ones); any other change to an object the earlier version had (a column
 * redefined, an index changed) cannot be rewound by dropping: that is refused, naming the object.
 */
public final class SchemaRewind {
    private SchemaRewind() {
    }

    /** Rewinds the store file {@code database} to schema {@code version}. */
    public static void sqlite(Path database, int version) throws SQLException {
        Map<String, String> then;
        Map<String, List<String>> thenColumns = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:")) {
            c.setAutoCommit(false);
            SqliteSchema.migrate(c, Dialect.SQLITE, version);
            then = objects(c);
            for (String table : objects(c, "table").keySet()) {
                thenColumns.put(table, columns(c, table));
            }
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
                Statement s = c.createStatement()) {
            Map<String, List<String>> added = new LinkedHashMap<>();
            Map<String, String> tablesNow = objects(c, "table");
            for (Map.Entry<String, String> now : objects(c).entrySet()) {
                String name = now.getKey();
                String sql = then.get(name);
                if (sql == null || sql.equals(now.getValue())) {
                    continue; // a later migration's (tables first: their indexes and triggers go with them), or unchanged
                }
                List<String> columnsThen = thenColumns.get(name);
                List<String> columnsNow = tablesNow.containsKey(name) ? columns(c, name) : List.of();
                if (columnsThen == null || columnsNow.size() <= columnsThen.size()
                        || !columnsNow.subList(0, columnsThen.size()).equals(columnsThen)) {
                    throw new IllegalStateException("a migration after " + version + " changed " + name
                            + ", which dropping cannot rewind: rewind it by hand");
                }
                added.put(name, columnsNow.subList(columnsThen.size(), columnsNow.size()));
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
            // after the later indexes are gone: a column an index names cannot be dropped
            for (Map.Entry<String, List<String>> table : added.entrySet()) {
                for (String column : table.getValue()) {
                    String name = column.substring(0, column.indexOf(' '));
                    s.execute("ALTER TABLE \"" + table.getKey() + "\" DROP COLUMN \"" + name + "\"");
                }
            }
            s.execute("DELETE FROM schema_version WHERE version > " + version);
        }
    }

    /** The columns of {@code table}, in their order, each as its name, a space and its type. */
    private static List<String> columns(Connection c, String table) throws SQLException {
        List<String> found = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("PRAGMA table_info(\"" + table + "\")")) {
            while (rs.next()) {
                found.add(rs.getString("name") + " " + rs.getString("type"));
            }
        }
        return found;
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
