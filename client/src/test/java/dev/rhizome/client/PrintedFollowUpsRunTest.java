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
 * The rest of the printed commands run as printed: the brief's `log --new` and `papers --new`,
 * the way to the commits when `wait` is given none, `log`'s and `results`' `--new` hints, and the
 * claim a give-back offers. Each was printed bare; copied into a shell in another directory (no
 * RHIZOME_DATA_DIR, no RHIZOME_COORDINATOR), it asked ~/.rhizome and the default coordinator.
 * Here each is copied from the answer and run by the launcher in a directory of its own.
 */
class PrintedFollowUpsRunTest {
    @TempDir
    Path dir;

    @Test
    void hintsAndTheBriefsReadsRunAsPrintedFromAnotherDirectory() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent dir");
            CliRun.openDirection(c.url(), dir.resolve("op"), agent, "d");
            Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));

            JsonObject news = CliRun.at(c.url(), agent, "brief", "--direction", "d", "--json").json()
                    .getAsJsonObject("new_since_last_look");
            runsAsPrinted(elsewhere, news.get("command").getAsString());
            runsAsPrinted(elsewhere, news.get("papers_command").getAsString());

            JsonObject noCommit = CliRun.at(c.url(), agent, "wait", "--json").failure(ExitCodes.USAGE, "usage", "--commit");
            runsAsPrinted(elsewhere, "rhizome " + CliRun.firstCommand(noCommit.get("hint").getAsString()));

            JsonObject newAndAfter = CliRun.at(c.url(), agent, "log", "--direction", "d", "--new", "--after", "x",
                    "--json").failure(ExitCodes.USAGE, "usage", "--new and --after");
            runsAsPrinted(elsewhere, "rhizome " + CliRun.firstCommand(newAndAfter.get("hint").getAsString()));

            JsonObject resultsNew = CliRun.at(c.url(), agent, "results", "--new", "--json").failure(ExitCodes.USAGE, "usage");
            runsAsPrinted(elsewhere, "rhizome " + CliRun.firstCommand(resultsNew.get("hint").getAsString()));

            // a unit given back: the claim of the same commit it offers leases a unit on this coordinator
            CliRun claim = CliRun.at(c.url(), agent, "claim", "--direction", "d", "--workspace",
                    dir.resolve("ws").toString(), "--json");
            assertThat(claim.code()).as(claim.err()).isZero();
            String unit = claim.json().getAsJsonObject("unit").get("id").getAsString();
            CliRun unclaim = CliRun.at(c.url(), agent, "unclaim", "--unit", unit);
            assertThat(unclaim.code()).as(unclaim.err()).isZero();
            String again = "rhizome " + CliRun.firstCommand(unclaim.out());
            assertThat(again).startsWith("rhizome claim --direction d --from ");
            JsonObject reclaimed = runsAsPrinted(elsewhere, again).json();
            assertThat(reclaimed.getAsJsonObject("unit").get("id").getAsString()).isNotEqualTo(unit);
        }
    }

    /** {@code printed}, copied into a shell in {@code directory}: it answers (exit 0). */
    private static CliRun runsAsPrinted(Path directory, String printed) throws Exception {
        assertThat(printed).startsWith("rhizome ").contains(" --data-dir ").contains(" --coordinator ");
        CliRun run = CliRun.child(directory, CliRun.shellWords(printed.substring("rhizome ".length()))
                .toArray(String[]::new));
        assertThat(run.code()).as(printed + ": " + run.out() + run.err()).isZero();
        return run;
    }
}
