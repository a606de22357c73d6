package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A name typed wrong reads one way wherever it is chosen from a known set: every unknown name is
 * {@code unknown_<kind>} with exit 2 (a direction and a seed were 4, a commit and a unit 2), and
 * every refused choice (a direction, a seed, a built-in seed, a knob, an enum value, a store kind
 * or parameter, a config file's key, a node.properties key) offers the nearest names first.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NearestNameTest {
    private Path dir;
    private SeededCoordinator network;

    @BeforeAll
    void start(@TempDir Path tempDir) throws Exception {
        dir = tempDir;
        Path volunteer = dir.resolve("volunteer");
        Files.createDirectories(volunteer);
        network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(1, 60));
    }

    @AfterAll
    void stop() {
        network.close();
    }

    private CliRun as(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--json", "--data-dir", dir.resolve("operator").toString(), "--coordinator", network.url()));
        return CliRun.of(all.toArray(String[]::new));
    }

    private static String hint(JsonObject failure) {
        String hint = failure.get("hint").getAsString();
        // the guess and the way on are two sentences: "did you mean x? see README" read as one
        assertThat(hint).as("a hint's sentences").doesNotContainPattern("\\? [a-z]");
        return hint;
    }

    @Test
    void everyUnknownNameIsABadArgumentWhereverItWasFoundMissing() {
        // the coordinator's lists (direction, seed), a prefix matched before anything is sent
        // (commit), the data directory's claims (unit): one exit code an agent can branch on
        JsonObject direction = as("tree", "--direction", "dd").failure(ExitCodes.USAGE, "unknown_direction", "dd");
        assertThat(hint(direction)).startsWith("did you mean d?");
        JsonObject seed = as("direction", "open", "--seed", "slwo", "--name", "n").failure(ExitCodes.USAGE,
                "unknown_seed", "slwo");
        assertThat(hint(seed)).startsWith("did you mean slow?");
        as("wait", "--commit", "abcdef12", "--direction", "d").failure(ExitCodes.USAGE, "unknown_commit", "abcdef12");
        as("renew", "--unit", "nope").failure(ExitCodes.USAGE, "unknown_unit", "nope");
        // what the coordinator refuses though it understood it stays 4
        as("direction", "close", "--name", "d", "--reason", "done").code();
        as("claim", "--direction", "d").failure(ExitCodes.REFUSED, "direction_closed");
    }

    @Test
    void anUnknownDirectionNamesTheOptionThatBroughtIt() throws Exception {
        // `node --direction` is checked when the node starts, as every command's --direction is:
        // the node ran on and only its claims were refused, in WARN lines naming no option
        JsonObject node = CliRun.of("node", "--direction", "dd", "--no-sandbox", "--data-dir",
                dir.resolve("node-dd").toString(), "--coordinator", network.url(), "--json")
                .failure(ExitCodes.USAGE, "unknown_direction", "dd");
        assertThat(node.get("option").getAsString()).isEqualTo("--direction");
        assertThat(hint(node)).startsWith("did you mean d?");

        // a workspace's claim, taken to a coordinator that does not have its direction (one
        // started afresh): the workspace brought the name, so --workspace is the option at fault
        assertThat(as("direction", "open", "--seed", "slow", "--name", "w").code()).isZero();
        Path volunteer = dir.resolve("volunteer");
        Path ws = dir.resolve("ws-w");
        CliRun claim = CliRun.of("claim", "--direction", "w", "--workspace", ws.toString(), "--data-dir",
                volunteer.toString(), "--coordinator", network.url(), "--json");
        assertThat(claim.code()).as(claim.err()).isZero();
        try (Coordinator fresh = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("fresh")))) {
            JsonObject renew = CliRun.of("renew", "--workspace", ws.toString(), "--coordinator", fresh.url(), "--json")
                    .failure(ExitCodes.USAGE, "unknown_direction", "w");
            assertThat(renew.get("option").getAsString()).isEqualTo("--workspace");
        }
    }

    @Test
    void aValueFromAKnownSetIsOfferedTheNearest() throws Exception {
        assertThat(hint(as("seed", "publish", "--builtin", "tiny-ml").failure(ExitCodes.USAGE, "usage",
                "expected a built-in seed: tiny-lm, gpt-torch"))).startsWith("did you mean tiny-lm?");
        assertThat(hint(as("claim", "--direction", "d", "--kind", "explor").failure(ExitCodes.USAGE, "usage",
                "expected one of explore, evaluate"))).startsWith("did you mean explore?");
        assertThat(hint(as("direction", "open", "--seed", "slow", "--name", "k", "--knobs", "y").failure(ExitCodes.USAGE,
                "usage", "expected a knob of seed slow: x"))).startsWith("did you mean x?");

        // a value refused by its option's converter, and a word an option whose value may be left
        // out (true|false) did not take: `node` called that one "not a command"
        String nodeDir0 = dir.resolve("node0").toString();
        assertThat(hint(CliRun.of("node", "--gpus", "al", "--data-dir", nodeDir0, "--json").failure(ExitCodes.USAGE,
                "usage", "expected all, none or GPU indices"))).startsWith("did you mean all?");
        JsonObject explore = CliRun.of("node", "--explore", "tru", "--data-dir", nodeDir0, "--json")
                .failure(ExitCodes.USAGE, "usage", "invalid value 'tru' for --explore: expected true or false");
        assertThat(hint(explore)).startsWith("did you mean true?");
        assertThat(explore.get("option").getAsString()).isEqualTo("--explore");

        Path coordinatorDir = dir.resolve("second");
        String store = "postgresql://u:p@127.0.0.1:1/db?timout=5";
        assertThat(hint(CliRun.of("coordinator", "--data-dir", coordinatorDir.toString(), "--store", "sqlit", "--json")
                .failure(ExitCodes.USAGE, "usage", "the kinds are sqlite and postgresql"))).startsWith("did you mean sqlite?");
        assertThat(hint(CliRun.of("coordinator", "--data-dir", coordinatorDir.toString(), "--store", store, "--json")
                .failure(ExitCodes.USAGE, "usage", "unknown parameter 'timout'"))).startsWith("did you mean timeout?");

        Path config = dir.resolve("coordinator.json");
        for (String[] typo : List.of(
                new String[] {"{\"prot\": 7700}", "did you mean port?"},
                new String[] {"{\"daily_write_limits\": {\"experiment\": {\"per_key\": 1}}}", "did you mean experiments?"},
                new String[] {"{\"daily_write_limits\": {\"papers\": {\"per_kye\": 1}}}", "did you mean per_key?"})) {
            Files.writeString(config, typo[0]);
            assertThat(hint(CliRun.of("coordinator", "--data-dir", coordinatorDir.toString(), "--config",
                    config.toString(), "--port", "0", "--json").failure(ExitCodes.USAGE, "usage"))).as(typo[0])
                    .startsWith(typo[1]);
        }

        Path nodeDir = dir.resolve("node");
        Files.createDirectories(nodeDir);
        Files.writeString(nodeDir.resolve("node.properties"), "cpu-job=2\n");
        assertThat(hint(CliRun.of("node", "--data-dir", nodeDir.toString(), "--coordinator", network.url(), "--json")
                .failure(ExitCodes.USAGE, "usage", "unknown key 'cpu-job'"))).startsWith("did you mean cpu-jobs?");
    }
}
