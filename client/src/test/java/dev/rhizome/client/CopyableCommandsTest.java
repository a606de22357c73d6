package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A command the tool prints for the user to copy (a note, a hint, the brief's commands) runs as
 * printed, from anywhere: a data directory "my dir" printed bare became two words, so the copied
 * `rhizome node --data-dir /tmp/my dir` started a node on /tmp/my; the brief's `renew --unit U`,
 * run outside the workspace, looked for the claim in ~/.rhizome.
 */
class CopyableCommandsTest {
    @TempDir
    Path dir;

    @Test
    void aHintsCommandGivesADataDirectoryWithSpacesAndQuotesBackWhole() throws Exception {
        Path odd = dir.resolve("it's my dir");
        CliRun status = CliRun.of("node", "status", "--json", "--data-dir", odd.toString());
        JsonObject noNode = status.failure(ExitCodes.FAILED, "no_node");
        assertThat(CliRun.flagValue(CliRun.firstCommand(noNode.get("hint").getAsString()), "--data-dir"))
                .isEqualTo(odd.toString());

        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CliRun publish = CliRun.of("seed", "publish", "--builtin", "tiny-lm", "--json", "--coordinator", c.url(),
                    "--data-dir", odd.toString());
            assertThat(publish.code()).as(publish.err()).isZero();
            assertThat(CliRun.flagValue(CliRun.firstCommand(publish.err()), "--data-dir")).isEqualTo(odd.toString());
            // the note's node, started as printed, reaches this coordinator, not the default one
            assertThat(CliRun.flagValue(CliRun.firstCommand(publish.err()), "--coordinator")).isEqualTo(c.url());
        }
    }

    @Test
    void theBriefsCommandsForAClaimedUnitRunFromAnyDirectory() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent dir");
            CliRun.openDirection(c.url(), dir.resolve("op"), agent, "d");
            Path ws = dir.resolve("work space");
            CliRun claim = CliRun.of("claim", "--direction", "d", "--workspace", ws.toString(), "--json",
                    "--coordinator", c.url(), "--data-dir", agent.toString());
            assertThat(claim.code()).as(claim.err()).isZero();
            String unit = claim.json().getAsJsonObject("unit").get("id").getAsString();
            String brief = Files.readString(Path.of(claim.json().get("brief").getAsString()));
            String submit = brief.lines().filter(l -> l.startsWith("- submit and wait:")).findFirst().orElseThrow();
            String command = CliRun.firstCommand(submit);
            // the paper is a file to write there, not `<finding.md>`, which a shell reads as a redirection
            assertThat(Path.of(CliRun.flagValue(command, "--paper"))).isAbsolute();
            assertThat(CliRun.flagValue(command, "--workspace")).isEqualTo(ws.toString());
            assertThat(CliRun.flagValue(command, "--data-dir")).isEqualTo(agent.toString());
            assertThat(CliRun.flagValue(command, "--coordinator")).isEqualTo(c.url());

            // the brief's renew, copied and run from elsewhere (no workspace, no RHIZOME_DATA_DIR), finds the claim
            String renew = CliRun.firstCommand(brief.lines().filter(l -> l.startsWith("- renew the lease:"))
                    .findFirst().orElseThrow());
            CliRun renewed = CliRun.of(CliRun.shellWords(renew).toArray(String[]::new));
            assertThat(renewed.code()).as(renewed.out() + renewed.err()).isZero();
            assertThat(renewed.json().get("unit").getAsString()).isEqualTo(unit);

            // no node serves the agent's data directory: the hint's command starts one on this coordinator
            Files.writeString(ws.resolve("config.properties"), "x=2\n");
            try (Git git = Git.open(ws.toFile())) {
                git.commit().setAll(true).setMessage("x=2").setAuthor("a", "a@example.org")
                        .setCommitter("a", "a@example.org").call();
            }
            JsonObject noNode = CliRun.of("submit", "--workspace", ws.toString(), "--json")
                    .failure(ExitCodes.FAILED, "no_node");
            String start = CliRun.firstCommand(noNode.get("hint").getAsString());
            assertThat(CliRun.flagValue(start, "--data-dir")).isEqualTo(agent.toString());
            assertThat(CliRun.flagValue(start, "--coordinator")).isEqualTo(c.url());

            // a hint names the direction it knows, rather than a placeholder to fill in (it said `--direction D`)
            JsonObject badFrom = CliRun.of("claim", "--direction", "d", "--from", "zzzz", "--json", "--coordinator",
                    c.url(), "--data-dir", agent.toString()).failure(ExitCodes.USAGE, "bad_commit");
            assertThat(badFrom.get("hint").getAsString()).contains("`rhizome tree --direction d --data-dir "
                    + Shell.quote(agent) + " --coordinator " + c.url() + "`");
        }
    }
}
