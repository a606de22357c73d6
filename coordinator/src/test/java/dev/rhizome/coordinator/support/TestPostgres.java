package dev.rhizome.coordinator.support;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A real PostgreSQL for tests, named by {@code RHIZOME_TEST_PG}
 * ({@code postgresql://USER:PASSWORD@HOST:PORT/DATABASE}); each test gets a schema of its own,
 * dropped afterwards. CI (.ci/run) starts one and sets {@code RHIZOME_REQUIRE_PG=1}, so there a
 * missing database fails the build; elsewhere these tests are skipped with a note.
 */
public final class TestPostgres implements AutoCloseable {
    public final String schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    private final String base;

    private TestPostgres(String base) {
        this.base = base;
    }

    public static TestPostgres create() {
        String url = System.getenv("RHIZOME_TEST_PG");
        if ("1".equals(System.getenv("RHIZOME_REQUIRE_PG")) && (url == null || url.isBlank())) {
            throw new IllegalStateException("RHIZOME_REQUIRE_PG=1 but RHIZOME_TEST_PG is not set");
        }
        assumeTrue(url != null && !url.isBlank(), "set RHIZOME_TEST_PG=postgresql://... to run the PostgreSQL tests");
        return new TestPostgres(url);
    }

    /** The store address of this test's schema. */
    public String address() {
        return base + (base.contains("?") ? "&" : "?") + "schema=" + schema;
    }

    /** {@link #address()} through {@code 127.0.0.1:port} (a proxy in front of the server). */
    public String addressVia(int port) {
        URI uri = URI.create(address());
        return uri.getScheme() + "://" + uri.getRawUserInfo() + "@127.0.0.1:" + port + uri.getRawPath() + "?"
                + uri.getRawQuery();
    }

    /** The password in {@code RHIZOME_TEST_PG} ("" if none), for a tool that takes it apart from the address. */
    public String password() {
        String user = URI.create(base).getUserInfo();
        return user != null && user.contains(":") ? user.split(":", 2)[1] : "";
    }

    /** The server's port. */
    public int port() {
        int port = URI.create(base).getPort();
        return port > 0 ? port : 5432;
    }

    public String address(int pool) {
        return address() + "&pool=" + pool;
    }

    /** A plain JDBC connection to this test's schema, to look at what the store wrote. */
    public Connection connect() throws Exception {
        URI uri = URI.create(base);
        String[] user = uri.getUserInfo().split(":", 2);
        String jdbc = "jdbc:postgresql://" + uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : 5432)
                + uri.getPath() + "?currentSchema=" + schema;
        return DriverManager.getConnection(jdbc, user[0], user.length > 1 ? user[1] : "");
    }

    /**
     * A database of its own on the same server, made by the test role and dropped by {@link
     * Database#close()} (its connections ended first), for a test of what happens in a fresh one
     * (a restore into an empty database). The role needs CREATEDB (.ci/run grants it); without it the
     * test is skipped saying so, or fails under {@code RHIZOME_REQUIRE_PG=1}.
     */
    public Database freshDatabase() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            boolean may;
            try (var rs = s.executeQuery("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")) {
                may = rs.next() && rs.getBoolean(1);
            }
            String why = "the role of RHIZOME_TEST_PG cannot create databases (ALTER ROLE ... CREATEDB, as .ci/run does)";
            if ("1".equals(System.getenv("RHIZOME_REQUIRE_PG")) && !may) {
                throw new IllegalStateException("RHIZOME_REQUIRE_PG=1 but " + why);
            }
            assumeTrue(may, why);
            String name = "fresh_" + schema;
            s.execute("CREATE DATABASE " + name);
            URI uri = URI.create(base);
            return new Database(name, uri.getScheme() + "://" + uri.getRawUserInfo() + "@" + uri.getHost() + ":" + port()
                    + "/" + name);
        }
    }

    /** A database {@link #freshDatabase()} made: its store address (schema {@code public}) and its drop. */
    public final class Database implements AutoCloseable {
        public final String name;
        /** Its store address, with no schema: the coordinator's default, {@code public}. */
        public final String address;

        Database(String name, String address) {
            this.name = name;
            this.address = address;
        }

        /**
         * Drops it once its users' connections are gone. Not {@code WITH (FORCE)}: that must also
         * end an autovacuum worker busy there, which a role without {@code pg_signal_backend} may
         * not (a plain drop has the server end those itself); a pool still closing gets a moment.
         */
        @Override
        public void close() throws Exception {
            for (int attempt = 1; ; attempt++) {
                try (Connection c = connect(); Statement s = c.createStatement()) {
                    s.execute("DROP DATABASE IF EXISTS " + name);
                    return;
                } catch (SQLException e) {
                    if (!"55006".equals(e.getSQLState()) || attempt == 60) {  // object_in_use: still connected
                        throw e;
                    }
                    Thread.sleep(500);
                }
            }
        }
    }

    @Override
    public void close() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
