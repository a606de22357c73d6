package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.support.TestPostgres;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A `--store` address is a wrong one to refuse at once when its host does not resolve (it was
 * waited for, retried every 30 s, like a database that is down), and `bench coordinator --store`
 * leaves no schema of its own behind, whether it ends or is stopped.
 */
class StoreHostTest {
    /** RFC 6761: no name under .invalid ever resolves. */
    private static final String NO_HOST = "postgresql://u:secret@nohost.invalid/db";

    @TempDir
    Path dir;

    @Test
    void aStoreWhoseHostDoesNotResolveIsRefusedAtStartNamingTheHost() throws Exception {
        JsonObject refused = CliRun.of("coordinator", "--data-dir", dir.resolve("c").toString(), "--port", "0",
                "--store", NO_HOST, "--json").failure(ExitCodes.USAGE, "usage", "'nohost.invalid' does not resolve");
        assertThat(refused.get("option").getAsString()).isEqualTo("--store");
        assertThat(refused.toString()).doesNotContain("secret");

        Path config = dir.resolve("coordinator.json");
        Files.writeString(config, "{\"store\": \"" + NO_HOST + "\", \"port\": 0}");
        JsonObject fromFile = CliRun.of("coordinator", "--data-dir", dir.resolve("c").toString(), "--config",
                config.toString(), "--json").failure(ExitCodes.USAGE, "usage", "store in config file");
        assertThat(fromFile.get("option").getAsString()).isEqualTo("store");

        CliRun bench = CliRun.of("bench", "coordinator", "--store", NO_HOST, "--units", "10", "--warmup-units", "0",
                "--json");
        bench.failure(ExitCodes.USAGE, "usage", "'nohost.invalid' does not resolve");
    }

    @Test
    void aDatabaseThatRefusesTheCoordinatorAtStartIsNamedWithWhatToCheck() throws Exception {
        // a wrong password or database name was the unforeseen-failure line: no option, and a hint
        // pointing at RHIZOME_DEBUG's stack trace
        try (TestPostgres pg = TestPostgres.create()) {
            URI real = URI.create(pg.address());
            String noDatabase = real.getScheme() + "://" + real.getRawUserInfo() + "@" + real.getHost() + ":" + pg.port()
                    + "/rhizome_no_such_db";
            JsonObject refused = CliRun.of("coordinator", "--data-dir", dir.resolve("c").toString(), "--port", "0",
                    "--store", noDatabase, "--json").failure(ExitCodes.FAILED, "failed", "rhizome_no_such_db");
            assertThat(refused.get("option").getAsString()).isEqualTo("--store");
            assertThat(refused.get("hint").getAsString()).contains("createdb").contains("--store")
                    .doesNotContain("RHIZOME_DEBUG");
            assertThat(refused.toString()).doesNotContain(real.getRawUserInfo().split(":", 2)[1] + "@");

            Path config = dir.resolve("refused.json");
            Files.writeString(config, "{\"store\": \"" + noDatabase + "\", \"port\": 0}");
            JsonObject fromFile = CliRun.of("coordinator", "--data-dir", dir.resolve("c").toString(), "--config",
                    config.toString(), "--json").failure(ExitCodes.FAILED, "failed", "rhizome_no_such_db");
            assertThat(fromFile.get("option").getAsString()).isEqualTo("store");
            assertThat(fromFile.get("hint").getAsString()).contains("store in config file " + config);
        }
    }

    @Test
    void theBenchmarkDropsItsSchemaWhenItEnds() throws Exception {
        try (TestPostgres pg = TestPostgres.create()) {
            String base = System.getenv("RHIZOME_TEST_PG");
            List<String> before = benchSchemas(pg);
            CliRun run = CliRun.of("bench", "coordinator", "--store", base, "--units", "20", "--clients", "2",
                    "--warmup-units", "0", "--baseline-requests", "10", "--data-dir", dir.resolve("b").toString(),
                    "--json");
            assertThat(run.code()).as(run.err()).isZero();
            assertThat(benchSchemas(pg)).as("schemas the benchmark left").isEqualTo(before);
        }
    }

    @Test
    void theBenchmarkDropsItsSchemaWhenStopped() throws Exception {
        try (TestPostgres pg = TestPostgres.create()) {
            String base = System.getenv("RHIZOME_TEST_PG");
            List<String> before = benchSchemas(pg);
            Process bench = new ProcessBuilder(TestNetwork.launcher("bench", "coordinator", "--store", base,
                    // long enough to be stopped while it runs: the warm-up alone is minutes here
                    "--units", "3000", "--clients", "16", "--warmup-units", "12000", "--baseline-requests", "10",
                    "--data-dir", dir.resolve("b").toString(), "--json"))
                    .redirectOutput(dir.resolve("bench.out").toFile()).redirectError(dir.resolve("bench.err").toFile())
                    .start();
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> {
                    assertThat(bench.isAlive()).as(() -> "the benchmark ended before it was stopped: "
                            + readQuietly(dir.resolve("bench.err"))).isTrue();
                    return benchSchemas(pg).size() > before.size();
                });
                bench.destroy();  // SIGTERM, as Ctrl-C's SIGINT ends it: the signal's exit
                assertThat(bench.waitFor(1, TimeUnit.MINUTES)).isTrue();
            } finally {
                bench.destroyForcibly();
            }
            assertThat(benchSchemas(pg)).as("schemas the stopped benchmark left; its stderr: "
                    + Files.readString(dir.resolve("bench.err"))).isEqualTo(before);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static List<String> benchSchemas(TestPostgres pg) throws Exception {
        URI uri = URI.create(System.getenv("RHIZOME_TEST_PG"));
        String[] user = uri.getUserInfo().split(":", 2);
        List<String> names = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + uri.getHost() + ":"
                + (uri.getPort() > 0 ? uri.getPort() : 5432) + uri.getPath(), user[0], user.length > 1 ? user[1] : "");
                Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%' ORDER BY 1")) {
            while (r.next()) {
                names.add(r.getString(1));
            }
        }
        return names;
    }
}
