package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands a refusal's hint offers run as printed: an unknown direction's and seed's lists,
 * and the way to the open directions from a closed one's brief. Each was printed bare (`rhizome direction list`); copied
 * into a shell in another directory, it asked ~/.rhizome and the default coordinator, an empty
 * or refused answer about another network than the one that refused.
 */
class RefusalHintsRunTest {
    @TempDir
    Path dir;

    @Test
    void theCommandsOfARefusalsHintRunAsPrintedFromAnotherDirectory() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path operator = dir.resolve("op");
            Path agent = dir.resolve("agent dir");
            CliRun.openDirection(c.url(), operator, agent, "d");
            Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));

            JsonObject unknownDirection = CliRun.at(c.url(), agent, "brief", "--direction", "nope", "--json")
                    .failure(ExitCodes.USAGE, "unknown_direction", "nope");
            JsonObject listed = runsAsPrinted(elsewhere, command(unknownDirection, "direction list"), "--json").json();
            assertThat(listed.getAsJsonArray("directions")).hasSize(1);

            JsonObject unknownSeed = CliRun.at(c.url(), agent, "direction", "open", "--seed", "nope", "--name", "n",
                    "--json").failure(ExitCodes.USAGE, "unknown_seed", "nope");
            runsAsPrinted(elsewhere, command(unknownSeed, "seed list"));

            // closed by its operator: the brief's way to the open directions names this coordinator
            CliRun close = CliRun.at(c.url(), operator, "direction", "close", "--name", "d", "--reason", "done");
            assertThat(close.code()).as(close.err()).isZero();
            CliRun brief = CliRun.at(c.url(), agent, "brief", "--direction", "d");
            assertThat(brief.code()).as(brief.err()).isZero();
            assertThat(brief.out()).contains("This direction is closed");
            runsAsPrinted(elsewhere, "rhizome " + CliRun.firstCommand(brief.out().substring(
                    brief.out().indexOf("This direction is closed"))));
        }
    }

    @Test
    void anEmptyListSaysWhatToDoWithCommandsThatRunAsPrinted() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent dir");
            Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
            // each printed nothing (seeds) or a bare header (directions): read as a failure
            CliRun seeds = CliRun.at(c.url(), agent, "seed", "list");
            assertThat(seeds.code()).as(seeds.err()).isZero();
            assertThat(seeds.out()).contains("no seed is published on " + c.url())
                    .contains("`rhizome seed publish --builtin tiny-lm --data-dir ");
            CliRun directions = CliRun.at(c.url(), agent, "direction", "list");
            assertThat(directions.code()).as(directions.err()).isZero();
            assertThat(directions.out()).contains("no direction on " + c.url());
            String list = directions.out().substring(directions.out().indexOf("`rhizome direction list ") + 1);
            CliRun again = runsAsPrinted(elsewhere, list.substring(0, list.indexOf('`')));
            assertThat(again.out()).isEqualTo(directions.out());
        }
    }

    /** The command of {@code refusal}'s hint that starts with {@code words}, with its `rhizome`. */
    private static String command(JsonObject refusal, String words) {
        String hint = refusal.get("hint").getAsString();
        int start = hint.indexOf("`rhizome " + words + " ");
        assertThat(start).as("`rhizome " + words + "` in: " + hint).isNotNegative();
        return hint.substring(start + 1, hint.indexOf('`', start + 1));
    }

    /** {@code printed} (and {@code more} words), copied into a shell in {@code directory}: it answers (exit 0). */
    private static CliRun runsAsPrinted(Path directory, String printed, String... more) throws Exception {
        assertThat(printed).startsWith("rhizome ").contains(" --data-dir ").contains(" --coordinator ");
        java.util.List<String> words = new java.util.ArrayList<>(CliRun.shellWords(printed.substring("rhizome ".length())));
        words.addAll(java.util.List.of(more));
        CliRun run = CliRun.child(directory, words.toArray(String[]::new));
        assertThat(run.code()).as(printed + ": " + run.out() + run.err()).isZero();
        return run;
    }
}
