package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.ReadBudgets;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Honest clients live with the coordinator's CPU budget for reads: with a budget cut to a
 * millisecond at once, every read soon gets {@code 429} with a {@code Retry-After}, and `rhizome
 * results`, `log` and `brief`, and a node's reads through {@link CoordinatorClient}, wait it out and
 * answer what they would have, saying the wait on standard error (never on standard output); so does
 * `rhizome export`.
 * Real coordinator on loopback, real commands.
 */
class ReadBudgetWaitsTest {
    private static final String DIRECTION = "budgeted";

    @TempDir
    Path dir;

    private String url;

    @Test
    void readsRefusedForTheirBudgetWaitAndAnswerWhatTheyWouldHave() throws Exception {
        // a millisecond of CPU at once, 40 ms a second back: a read or two spends it, and the
        // Retry-After is a second or so (what one read cost, over the refill)
        ReadBudgets tiny = new ReadBudgets(new ReadBudgets.Budget(1, 40), new ReadBudgets.Budget(1, 40));
        CoordinatorConfig config = CoordinatorConfig.defaults(dir.resolve("coordinator"));
        config = config.withLimits(config.limits().withReadBudgets(tiny));
        try (Coordinator coordinator = Coordinator.start(config)) {
            url = coordinator.url();
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = seed(operator);
            List<String> registered = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                registered.add(register(operator, seed, "idea " + i));  // writes: never charged, never refused
            }

            // the node's reads (the client every node uses), counted as they wait
            AtomicInteger waits = new AtomicInteger();
            CoordinatorClient node = new CoordinatorClient(url, Identity.generate())
                    .onReadWait((call, seconds, why) -> {
                        assertThat(call).startsWith("GET /v1/");
                        assertThat(seconds).isBetween(1L, 60L);
                        assertThat(why).contains("budget of time for reads (CPU and database time)");
                        waits.incrementAndGet();
                    });
            for (int i = 0; i < 6; i++) {
                assertThat(node.directions().getDirectionsList()).extracting(d -> d.getDirection().getName()).contains(DIRECTION);
                assertThat(node.seeds().getSeedsList()).extracting(Seed::getName).contains(seed.getName());
                assertThat(node.experiments(DIRECTION).getEnvelopesList()).hasSize(3);
            }
            assertThat(waits.get()).as("the budget was reached and waited out, not failed").isPositive();

            // the CLI's reads: the same answers, the waits said on standard error
            StringBuilder said = new StringBuilder();
            for (int i = 0; i < 2; i++) {
                CliRun log = ok("log", "--direction", DIRECTION, "--json");
                List<String> listed = new ArrayList<>();
                log.json().getAsJsonArray("experiments")
                        .forEach(e -> listed.add(e.getAsJsonObject().get("commit").getAsString()));
                assertThat(listed).containsExactlyInAnyOrderElementsOf(registered);
                CliRun results = ok("results", "--direction", DIRECTION, "--json");
                assertThat(results.json().getAsJsonArray("results")).isEmpty();
                CliRun brief = ok("brief", "--direction", DIRECTION, "--json");
                JsonObject b = brief.json();
                assertThat(b.getAsJsonObject("goal").has("metric_min")).isTrue();
                said.append(log.err()).append(results.err()).append(brief.err());
            }
            assertThat(said.toString()).as("each wait said on standard error")
                    .contains("waiting ").contains(" s to ask again (GET /v1/").contains("budget of time for reads (CPU and database time)");

            // an export reads a page after another from one address: it waited as told, silently,
            // so an export of a long trail paused a minute at a time with nothing on the screen
            Path exported = dir.resolve("trail.jsonl");
            CliRun export = CliRun.of("export", "-o", exported.toString(), "--coordinator", url, "--json");
            assertThat(export.code()).as("rhizome export: %s %s", export.out(), export.err()).isZero();
            assertThat(export.json().get("envelopes").getAsInt()).as("every record exported").isEqualTo(5);
            assertThat(export.err()).as("the export's waits said on standard error, as every read's")
                    .contains(" s to ask again (GET /v1/").contains("budget of time for reads (CPU and database time)");
            assertThat(export.out()).doesNotContain("to ask again");
        }
    }

    private CliRun ok(String... args) {
        return CliRun.at(url, dir.resolve("agent"), args).succeeded(args);
    }

    private Seed seed(CoordinatorClient operator) throws CoordinatorException {
        return OpenDirections.seed(operator, "budget", DIRECTION);
    }

    private String register(CoordinatorClient proposer, Seed seed, String hypothesis) throws CoordinatorException {
        return OpenDirections.register(proposer, seed, DIRECTION, hypothesis);
    }
}
