package dev.rhizome.ops.storm;

import dev.rhizome.coordinator.store.InvalidStoreAddress;
import dev.rhizome.coordinator.store.PostgresAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What a coordinator's store must hold after kills (or in a backup taken under load), read from its
 * tables rather than through a coordinator, which would answer from what it reads and so hide a row
 * with nothing behind it: no result without its unit or its signed envelope, no unit with two
 * results, and no unit leased to two keys. The last holds only where no lease may end but by its
 * result (no expiry, no give-back), as in {@link CoordinatorCrash}; a lease that expired is named as
 * such, since a unit leased again after it is then no double lease and the check says nothing.
 * Each problem is one line naming the rows.
 */
public final class StoreConsistency {
    private StoreConsistency() {
    }

    /** The problems of the SQLite database {@code file} (its own integrity and key checks first). */
    public static List<String> ofSqlite(Path file) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            List<String> problems = new ArrayList<>();
            List<String> integrity = column(c, "PRAGMA integrity_check");
            if (!integrity.equals(List.of("ok"))) {
                problems.add("integrity check: " + String.join("; ", integrity));
            }
            for (String row : column(c, "SELECT \"table\" || ' row ' || rowid || ' refers to a missing ' || parent"
                    + " FROM pragma_foreign_key_check")) {
                problems.add("foreign key: " + row);
            }
            problems.addAll(of(c));
            return problems;
        } catch (SQLException e) {
            return List.of("unreadable: " + file + ": " + e.getMessage());
        }
    }

    /** The problems of the PostgreSQL store at the coordinator's {@code address} (its schema). */
    public static List<String> ofPostgres(String address) {
        PostgresAddress pg;
        try {
            pg = PostgresAddress.parse(address);
        } catch (InvalidStoreAddress e) {
            return List.of("unreadable: " + e.getMessage());
        }
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl() + "?currentSchema=" + pg.schema(), pg.user(),
                pg.password() == null ? "" : pg.password())) {
            return of(c);
        } catch (SQLException e) {
            return List.of("unreadable: " + pg + ": " + e.getMessage());
        }
    }

    /** The checks both stores share, on their common tables. */
    static List<String> of(Connection c) throws SQLException {
        List<String> problems = new ArrayList<>();
        for (String unit : column(c, "SELECT r.unit_id FROM results r LEFT JOIN units u ON u.id = r.unit_id"
                + " WHERE u.id IS NULL ORDER BY r.unit_id")) {
            problems.add("a result without its unit: " + unit);
        }
        for (String seq : column(c, "SELECT CAST(r.envelope_seq AS TEXT) FROM results r LEFT JOIN envelopes e"
                + " ON e.seq = r.envelope_seq WHERE e.seq IS NULL ORDER BY r.envelope_seq")) {
            problems.add("a result without its signed envelope: envelope " + seq);
        }
        for (String unit : column(c, "SELECT unit_id FROM results GROUP BY unit_id HAVING COUNT(*) > 1 ORDER BY unit_id")) {
            problems.add("a unit with two results: " + unit);
        }
        List<String> expired = column(c, "SELECT id FROM units WHERE expired_leases > 0 ORDER BY id");
        for (String unit : expired) {
            problems.add("a lease expired (the run outlived it, so a second lease would be no double one): " + unit);
        }
        for (String unit : column(c, "SELECT unit_id FROM unit_leases GROUP BY unit_id"
                + " HAVING COUNT(DISTINCT holder) > 1 ORDER BY unit_id")) {
            if (!expired.contains(unit)) {
                problems.add("a unit leased to two keys: " + unit);
            }
        }
        return problems;
    }

    private static List<String> column(Connection c, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }
}
