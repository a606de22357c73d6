package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.TestPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator killed (SIGKILL, a real child process) in the middle of its schema migration: the
 * next start migrates again from where the database was, and completes, with every row the old
 * version held. The database is left at version 7 with many rows in the two tables migration 8
 * rebuilds, so that the migration is still running when the kill lands.
 */
class MigrationKillTest {
    static final int ROWS = 400_000;

    @TempDir
    Path dir;

    /** The child: a coordinator on args[0] (data directory) and args[1] (store address, "" for SQLite), until killed. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Coordinator.start(CoordinatorConfig.defaults(Path.of(args[0])).withStore(args.length > 1 ? args[1] : ""));
            Thread.sleep(Long.MAX_VALUE);  // held until the test kills this process
        }
    }

    @Test
    void sqliteCoordinatorKilledMidMigrationCompletesItAtTheNextStart() throws Exception {
        Path data = dir.resolve("coordinator");
        Files.createDirectories(data);
        Path file = data.resolve(SqliteStore.FILE_NAME);
        try (Connection c = SqliteStore.connect(file)) {
            version7WithRows(c, Dialect.SQLITE);
        }

        List<String> log = killDuringMigration(data, "");
        assertThat(log).anyMatch(l -> l.contains("migrating the database from schema version 7 to "
                + SqliteSchema.latestVersion()));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(version(c)).as("the kill landed during the migration, which left nothing half done").isEqualTo(7);
        }

        try (Coordinator restarted = Coordinator.start(CoordinatorConfig.defaults(data))) {
            assertThat(restarted.url()).isNotEmpty();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(version(c)).isEqualTo(SqliteSchema.latestVersion());
            assertThat(rows(c)).isEqualTo(2L * ROWS);
        }
    }

    @Test
    void postgresCoordinatorKilledMidMigrationCompletesItAtTheNextStart() throws Exception {
        try (TestPostgres postgres = TestPostgres.create()) {
            try (Connection c = postgres.connect()) {
                c.createStatement().execute("CREATE SCHEMA " + postgres.schema);
                version7WithRows(c, Dialect.POSTGRESQL);
            }

            List<String> log = killDuringMigration(dir.resolve("coordinator"), postgres.address());
            assertThat(log).anyMatch(l -> l.contains("migrating the database from schema version 7 to "
                    + SqliteSchema.latestVersion()));
            try (Connection c = postgres.connect()) {
                assertThat(version(c)).as("the kill landed during the migration, which left nothing half done").isEqualTo(7);
            }

            // The restart waits (bounded, MigrationBounds) for the dead one's session to be rolled back.
            try (Store store = PostgresStore.open(postgres.address(2))) {
                assertThat(store).isNotNull();
            }
            try (Connection c = postgres.connect()) {
                assertThat(version(c)).isEqualTo(SqliteSchema.latestVersion());
                assertThat(rows(c)).isEqualTo(2L * ROWS);
            }
        }
    }

    /** An empty database brought to version 7, with ROWS rows in each table migration 8 rebuilds. */
    private static void version7WithRows(Connection c, Dialect dialect) throws Exception {
        c.setAutoCommit(false);
        assertThat(SqliteSchema.migrate(c, dialect, 7)).isEqualTo(7);
        try (Statement s = c.createStatement()) {
            String numbers = dialect == Dialect.SQLITE
                    ? "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + ROWS + ") SELECT i FROM n"
                    : "SELECT i FROM generate_series(1, " + ROWS + ") AS n(i)";
            s.execute("INSERT INTO result_states (envelope_id, state) SELECT 'envelope-' || i, 1 FROM (" + numbers + ") t");
            s.execute("INSERT INTO unit_seeds (unit_id, random_seed) SELECT 'unit-' || i, i FROM (" + numbers + ") t");
        }
        c.commit();
    }

    /** Starts a coordinator in a child process and kills it with SIGKILL once it says it is migrating; its log. */
    private static List<String> killDuringMigration(Path data, String store) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), data.toString(), store).redirectErrorStream(true).start();
        List<String> log = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                log.add(line);
                if (line.contains("migrating the database from schema version")) {
                    child.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no rollback by the coordinator
                    break;
                }
            }
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        return log;
    }

    private static int version(Connection c) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery("SELECT MAX(version) FROM schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static long rows(Connection c) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery(
                "SELECT (SELECT COUNT(*) FROM result_states) + (SELECT COUNT(*) FROM unit_seeds)")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
