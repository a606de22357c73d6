package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.LogCapture;
import dev.rhizome.coordinator.support.PrivatePostgres;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL killed with SIGKILL (the postmaster and its backends) under a stream of writes, then
 * started again: while it is down every request is answered at once with a 503 that says the
 * database is unavailable (no hang, no 500, no stack trace in the log), {@code /healthz} says so
 * too, the coordinator takes writes again by itself once the database is back, and every write it
 * acknowledged is in the database. The server is the test's own ({@link PrivatePostgres}).
 */
class DatabaseOutageTest {
    private static final String SEED = "tiny-lm";
    private static final String DIRECTION = "lr-sweep";

    @TempDir
    Path dir;

    record Outcome(String commit, int status, String body, boolean duringOutage) {
    }

    @Test
    void aKilledDatabaseIsA503UntilItIsBackAndNothingAcknowledgedIsLost() throws Exception {
        Identity operator = Identity.generate();
        Manifest manifest = Fixtures.manifest(1, 0.01);
        String seedCommit = Fixtures.commit();
        try (PrivatePostgres pg = PrivatePostgres.start(); LogCapture log = new LogCapture();
                Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir)
                        .withStore(pg.address() + "?pool=4").withOperators(Set.of(operator.publicId())))) {
            ApiClient api = new ApiClient(coordinator.url(), ApiClient.Format.PROTOBUF, Clock.systemUTC());
            api.signAndPost("/v1/seeds", operator, Fixtures.seed(operator, SEED, seedCommit, manifest, api.now())).ack();
            api.signAndPost("/v1/directions", operator,
                    Fixtures.direction(operator, DIRECTION, SEED, seedCommit, api.now())).ack();

            AtomicBoolean down = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            ExecutorService writers = Executors.newFixedThreadPool(4);
            for (int w = 0; w < 4; w++) {
                Identity proposer = Identity.generate();
                writers.execute(() -> {
                    while (!stop.get()) {
                        String commit = Fixtures.commit();
                        boolean wasDown = down.get();
                        try {
                            ApiClient.Response r = api.signAndPost("/v1/experiments", proposer,
                                    Fixtures.experiment(proposer, SEED, DIRECTION, commit, seedCommit, api.now()));
                            outcomes.add(new Outcome(commit, r.status(), r.status() == 200 ? "" : r.text(),
                                    wasDown && down.get()));
                        } catch (RuntimeException | Error e) {  // a timeout: the request hung
                            failures.add(e);
                        }
                    }
                });
            }
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged(outcomes).size() >= 20);

                pg.kill();
                down.set(true);
                await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.stream().filter(Outcome::duringOutage).count() >= 20);
                ApiClient.Response read = api.get("/v1/experiments?direction=" + DIRECTION);
                assertThat(read.status()).as("a read while the database is down: %s", read.text()).isEqualTo(503);
                assertThat(read.text()).contains("database is unavailable");
                ApiClient.Response health = api.get("/healthz");
                assertThat(health.status()).isEqualTo(503);
                assertThat(health.text()).contains("the database cannot be reached");

                down.set(false);  // first: a request that ends while this is set ended before the restart
                pg.restart();
                int before = acknowledged(outcomes).size();
                // no restart of the coordinator: it takes writes again by itself
                await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged(outcomes).size() >= before + 20);
                await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/healthz").status() == 200);
                assertThat(api.get("/v1/experiments?direction=" + DIRECTION).status()).isEqualTo(200);
            } finally {
                stop.set(true);
                writers.shutdown();
                assertThat(writers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            }

            assertThat(failures).as("no request hung or failed without an answer").isEmpty();
            List<Outcome> refused = outcomes.stream().filter(o -> o.status() != 200).toList();
            assertThat(refused).as("only 503s").allSatisfy(o -> assertThat(o.status()).as(o.body()).isEqualTo(503));
            assertThat(refused).allSatisfy(o -> assertThat(o.body()).contains("database is unavailable"));
            assertThat(outcomes.stream().filter(Outcome::duringOutage).toList())
                    .as("nothing acknowledged while the database was down")
                    .allSatisfy(o -> assertThat(o.status()).isEqualTo(503));
            assertThat(log.withStackTraces()).as("503s, not stack traces").isEmpty();

            Set<String> stored = new HashSet<>();
            try (Connection c = pg.connect(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT commit_id FROM experiments")) {
                while (rs.next()) {
                    stored.add(rs.getString(1));
                }
            }
            assertThat(stored).as("every acknowledged experiment is in the database").containsAll(acknowledged(outcomes));
        }
    }

    private static List<String> acknowledged(ConcurrentLinkedQueue<Outcome> outcomes) {
        List<String> acked = new ArrayList<>();
        outcomes.forEach(o -> {
            if (o.status() == 200) {
                acked.add(o.commit());
            }
        });
        return acked;
    }
}
