package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.ReadBudgets;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.coordinator.support.PrometheusText;
import dev.rhizome.coordinator.support.RawHttp;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.protocol.LoadScaledBudget;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On PostgreSQL a read's cost is mostly the database's: the coordinator's thread waits while
 * PostgreSQL plans, scans and sends. The read budget counted that thread's CPU only, so a read that
 * kept the database busy for a second cost its sender a millisecond, and no 429 ever came. Here a
 * real coordinator on a PostgreSQL schema answers {@code GET /v1/papers} while the test's own
 * session makes the database take 400 ms over each (it holds the table's lock that long: wall time
 * in the query, none of it the coordinator's CPU); with a budget of 1 s at once, the reader is
 * refused 429 within a few such reads, and a reader on another network is served.
 */
class ReadDatabaseTimePostgresTest {
    private static final long HELD_MS = 400;

    @TempDir
    Path dataDir;

    @Test
    void aReadWhoseQueryKeepsPostgresBusyIsChargedForThatTime() throws Exception {
        CoordinatorLimits limits = CoordinatorLimits.defaults().withReadBudgets(new ReadBudgets(
                new ReadBudgets.Budget(1_000, 1), new ReadBudgets.Budget(2_000, 2)));
        try (TestPostgres pg = TestPostgres.create();
                Harness h = Harness.on(Harness.SQLITE, dataDir, Fixtures.manifest(1, 0.01), ApiClient.Format.JSON,
                        limits, c -> c.withStore(pg.address(4)));
                Connection slow = pg.connect();
                RawHttp reader = new RawHttp(h.coordinator.url(), "127.0.0.1")) {
            String read = "GET /v1/papers?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n";
            // The same read, answered at once, costs milliseconds: ten are far inside 1 s.
            for (int i = 0; i < 10; i++) {
                assertThat(reader.send(read).read().status()).as("a quick read %d", i).isEqualTo(200);
            }
            slow.setAutoCommit(false);
            RawHttp.Response refused = null;
            int served = 0;
            for (int i = 0; i < 10 && refused == null; i++) {
                try (Statement s = slow.createStatement()) {
                    s.execute("LOCK TABLE papers IN ACCESS EXCLUSIVE MODE");
                    // a page of its own each time: the same page again would be shared, not read
                    reader.send("GET /v1/papers?limit=" + (2 + i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
                    // the view's query is now in PostgreSQL, waiting: held there, then let go
                    boolean asked = awaitWaiterOnPapers(s, reader);
                    if (asked) {
                        s.execute("SELECT pg_sleep(" + HELD_MS / 1000.0 + ")");
                    }
                    slow.commit();
                }
                RawHttp.Response r = reader.read();
                if (r.status() == 429) {
                    refused = r;
                } else {
                    assertThat(r.status()).as(r.body()).isEqualTo(200);
                    served++;
                }
            }
            assertThat(refused).as("a 429 once 1 s of the database's time is spent (served %d)", served).isNotNull();
            assertThat(served).as("reads of 400 ms each: the budget's worth answered first").isBetween(2, 5);
            assertThat(refused.body()).contains("LIMIT_REACHED");
            try (RawHttp other = new RawHttp(h.coordinator.url(), "127.0.9.1")) {
                assertThat(other.send(read).read().status()).as("another network's reader").isEqualTo(200);
                // the operator sees where the time went: in the database, by route
                RawHttp.Response metrics = other.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").read();
                double waited = PrometheusText.parse(metrics.body())
                        .value("rhizome_http_database_seconds_total", Map.of("route", "/v1/papers"));
                assertThat(waited).as("seconds the papers reads waited on PostgreSQL").isGreaterThanOrEqualTo(
                        served * HELD_MS / 1000.0 * 0.9);
            }
        }
    }

    /**
     * Waits until a session waits for the lock on {@code papers} (the coordinator's view: true), or
     * the answer came without one (a 429 is sent before any view: false).
     */
    private static boolean awaitWaiterOnPapers(Statement s, RawHttp reader) {
        Duration within = new LoadScaledBudget(Duration.ofSeconds(5), Duration.ofSeconds(30)).now();
        boolean[] waiting = new boolean[1];
        await().atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> {
            try (ResultSet r = s.executeQuery(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'papers'::regclass")) {
                r.next();
                waiting[0] = r.getLong(1) > 0;
            }
            return waiting[0] || reader.answerWaiting();
        });
        return waiting[0];
    }
}
