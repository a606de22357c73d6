package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ClaimFiles;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.client.cli.WorkspaceClaim;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second pass of a new user through the agent's workflow (README.md, docs/agents.md), on a
 * network whose nodes only serve, so an experiment stays undecided: each answer that lied or left
 * the next step out before. A timed-out `wait` in text, a direction that does not exist taken for
 * a commit that does not, a finished workspace claimed into again, `claim --wait 5s`, and the way
 * an expired lease's hint, and a given-back unit's, say the work still goes in, followed to the end.
 */
class RoughEdgesTest {
    @TempDir
    Path dir;

    @Test
    void theAgentsWorkflowAnswersSayWhatIsTrueAndWhatToDoNext() throws Exception {
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3, 300))) {
            String url = network.url();
            // nodes that serve and never evaluate (their --direction has no work): nothing gets decided
            try (NodeDaemon seeds = TestNetwork.node(NodeConfig.defaults(volunteer, url).withDirection("serve-only"));
                    NodeDaemon agentsNode = TestNetwork.node(NodeConfig.defaults(agent, url).withDirection("serve-only"))) {
                Path ws = dir.resolve("ws");
                String commit = TestNetwork.claimAndCommit(url, agent, ws);

                // a timed-out wait in text said only "not decided yet", exit 6: now what happened and what next
                CliRun submit = CliRun.of("submit", "--workspace", ws.toString(), "--wait", "--timeout", "1");
                assertThat(submit.code()).as(submit.err()).isEqualTo(ExitCodes.TIMED_OUT);
                String waitAgain = "wait again with `rhizome wait --commit " + commit + " --data-dir " + Shell.quote(agent)
                        + " --coordinator " + Shell.quote(url) + "`";
                assertThat(submit.out()).contains("was not decided within 1 s (exit 6): " + waitAgain);
                CliRun waited = CliRun.of("wait", "--commit", commit.substring(0, 8), "--timeout", "0",
                        "--data-dir", agent.toString(), "--coordinator", url);
                assertThat(waited.code()).as(waited.err()).isEqualTo(ExitCodes.TIMED_OUT);
                assertThat(waited.out()).contains(waitAgain);

                // a direction that is not there is the mistake, not the commit (was unknown_commit, --commit)
                JsonObject nope = CliRun.of("wait", "--commit", commit.substring(0, 8), "--direction", "nope", "--json",
                        "--data-dir", agent.toString(), "--coordinator", url).failure(ExitCodes.USAGE, "unknown_direction");
                assertThat(nope.get("option").getAsString()).isEqualTo("--direction");
                assertThat(CliRun.of("results", "--commit", commit.substring(0, 8), "--direction", "nope", "--json",
                        "--data-dir", agent.toString(), "--coordinator", url).failure(ExitCodes.USAGE, "unknown_direction")
                        .get("message").getAsString()).contains("unknown direction nope").contains("directions: d");

                // claiming into the finished workspace: its unit was submitted, so "commit there and
                // `rhizome submit`" (refused as already_submitted) is not the way on
                JsonObject again = CliRun.of("claim", "--direction", "d", "--workspace", ws.toString(), "--json",
                        "--data-dir", agent.toString(), "--coordinator", url).failure(ExitCodes.USAGE, "workspace_not_empty");
                assertThat(again.get("message").getAsString()).contains("already submitted").contains(commit);
                assertThat(again.get("hint").getAsString()).contains("--from " + commit).containsPattern("--workspace '?/")
                        .doesNotContain("NEW_DIR")
                        .doesNotContain("commit there");

                // seconds with a unit, as every option in seconds takes them (it was "expected a whole number")
                CliRun waitS = CliRun.of("claim", "--direction", "d", "--wait", "1s", "--json", "--data-dir",
                        dir.resolve("other").toString(), "--coordinator", url);
                assertThat(waitS.code()).as(waitS.out() + waitS.err()).isIn(ExitCodes.OK, ExitCodes.NO_WORK);
                assertThat(CliRun.of("claim", "--direction", "d", "--wait", "21", "--json", "--data-dir",
                        dir.resolve("other").toString(), "--coordinator", url).failure(ExitCodes.USAGE, "usage")
                        .get("option").getAsString()).isEqualTo("--wait");

                // an expired lease: the hint's way on (claim the same commit, no workspace; submit the old
                // workspace under the new unit) is followed to the end, and it works
                Path late = dir.resolve("late ws");
                CliRun claim = CliRun.of("claim", "--direction", "d", "--workspace", late.toString(), "--json",
                        "--data-dir", agent.toString(), "--coordinator", url);
                assertThat(claim.code()).as(claim.err()).isZero();
                WorkUnit unit = ClaimFiles.load(agent, claim.json().getAsJsonObject("unit").get("id").getAsString());
                String lateCommit = commitSomething(late);
                ClaimFiles.save(agent, unit.toBuilder().setLeaseDeadlineMs(System.currentTimeMillis() - 1_000).build());
                JsonObject expired = CliRun.of("submit", "--workspace", late.toString(), "--json")
                        .failure(ExitCodes.REFUSED, "lease_expired");
                String hint = expired.get("hint").getAsString();
                assertThat(hint).contains("--workspace '" + late.toAbsolutePath() + "'");
                CliRun reclaim = CliRun.of("claim", "--direction", "d", "--from", unit.getCommit().substring(0, 10), "--json",
                        "--data-dir", agent.toString(), "--coordinator", url);
                assertThat(reclaim.code()).as(reclaim.out() + reclaim.err()).isZero();
                String newUnit = reclaim.json().getAsJsonObject("unit").get("id").getAsString();
                CliRun resubmit = CliRun.of("submit", "--unit", newUnit, "--workspace", late.toString(), "--json");
                assertThat(resubmit.code()).as(resubmit.out() + resubmit.err()).isZero();
                assertThat(resubmit.json().get("commit").getAsString()).isEqualTo(lateCommit);

                // a unit given back with `unclaim`: its hint said only "claim a new unit", yet what was
                // committed in its workspace still goes in the same way; followed to the end
                Path back = dir.resolve("given back ws");
                CliRun backClaim = CliRun.of("claim", "--direction", "d", "--workspace", back.toString(), "--json",
                        "--data-dir", agent.toString(), "--coordinator", url);
                assertThat(backClaim.code()).as(backClaim.err()).isZero();
                String base = backClaim.json().getAsJsonObject("unit").get("commit").getAsString();
                Files.writeString(back.resolve("config.properties"), "x=1.3\n");
                String backCommit;
                try (Git git = Git.open(back.toFile())) {
                    git.add().addFilepattern("config.properties").call();
                    backCommit = git.commit().setMessage("x at 1.3").setAuthor("agent", "agent@example").call().getName();
                }
                CliRun unclaim = CliRun.of("unclaim", "--workspace", back.toString());
                assertThat(unclaim.code()).as(unclaim.err()).isZero();
                assertThat(unclaim.out()).contains("that can still go in under a new claim");
                JsonObject givenBack = CliRun.of("submit", "--workspace", back.toString(), "--json")
                        .failure(ExitCodes.USAGE, "given_back");
                assertThat(givenBack.get("hint").getAsString())
                        .contains("--from " + base.substring(0, 10) + " --data-dir " + Shell.quote(agent) + " --coordinator "
                                + url + " --json` (without --workspace)")
                        .contains("`rhizome submit --workspace '" + back.toAbsolutePath() + "' --data-dir "
                                + Shell.quote(agent) + " --coordinator " + url + "`");
                // the two printed commands, as printed: no unit id to fill in
                String backHint = givenBack.get("hint").getAsString();
                CliRun reclaimed = CliRun.of(CliRun.shellWords(CliRun.firstCommand(backHint)).toArray(String[]::new));
                assertThat(reclaimed.code()).as(reclaimed.out() + reclaimed.err()).isZero();
                String submitCommand = backHint.substring(backHint.indexOf("`rhizome submit ") + "`rhizome ".length());
                List<String> submitWords = new ArrayList<>(CliRun.shellWords(submitCommand.substring(0, submitCommand.indexOf('`'))));
                submitWords.add("--json");
                CliRun backSubmit = CliRun.of(submitWords.toArray(String[]::new));
                assertThat(backSubmit.code()).as(backSubmit.out() + backSubmit.err()).isZero();
                assertThat(backSubmit.json().get("commit").getAsString()).isEqualTo(backCommit);
            }
        }
    }

    @Test
    void aWorkspaceWhoseClaimItsDataDirectoryDoesNotHoldIsNotToldToSubmitThere() throws Exception {
        // a workspace claimed with a data directory since removed (or another machine's): a submit
        // there is unknown_unit, so "commit there and `rhizome submit`" was wrong advice
        Path ws = Files.createDirectories(dir.resolve("old ws").resolve(".git")).getParent();
        Files.writeString(ws.resolve("train.py"), "print(1)\n");
        Path gone = dir.resolve("gone");
        new WorkspaceClaim("u-gone", gone, "http://127.0.0.1:9").write(ws);
        JsonObject refused = CliRun.of("claim", "--direction", "d", "--workspace", ws.toString(), "--json",
                "--data-dir", dir.resolve("agent").toString(), "--coordinator", "http://127.0.0.1:9")
                .failure(ExitCodes.USAGE, "workspace_not_empty");
        assertThat(refused.get("message").getAsString()).contains("unit u-gone", "does not hold", gone.toString());
        assertThat(refused.get("hint").getAsString()).contains("nothing can be submitted under unit u-gone")
                .doesNotContain("NEW_DIR").doesNotContain("NEW_UNIT").doesNotContain("commit there");
        assertThat(refused.get("option").getAsString()).isEqualTo("--workspace");
    }

    @Test
    void aNumberPastTheLargestTakenIsSaidToBeTooLarge() {
        // "expected a whole number of at least 1" of 100000000000, which is one
        JsonObject limit = CliRun.of("leaderboard", "--limit", "100000000000", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(limit.get("message").getAsString()).contains("at most " + Integer.MAX_VALUE);
        assertThat(limit.get("option").getAsString()).isEqualTo("--limit");
        JsonObject overflow = CliRun.of("leaderboard", "--limit", "99999999999999999999", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(overflow.get("message").getAsString()).contains("at most " + Integer.MAX_VALUE);
        JsonObject timeout = CliRun.of("wait", "--commit", "abcd", "--timeout", "99999999999999999999", "--json")
                .failure(ExitCodes.USAGE, "usage");
        assertThat(timeout.get("message").getAsString()).contains("is too large");
        // a word or a negative number keeps the plain form
        assertThat(CliRun.of("leaderboard", "--limit", "-1", "--json").failure(ExitCodes.USAGE, "usage")
                .get("message").getAsString()).doesNotContain("at most");
    }

    private static String commitSomething(Path ws) throws Exception {
        Files.writeString(ws.resolve("config.properties"), "x=1.2\n");
        try (Git git = Git.open(ws.toFile())) {
            git.add().addFilepattern("config.properties").call();
            return git.commit().setMessage("x at 1.2").setAuthor("agent", "agent@example").call().getName();
        }
    }

    /**
     * The brief's `claim` runs as printed but for its one sentence, `--hypothesis '<one sentence>'`,
     * which a shell passes as written: copied unfilled, it became the experiment's description and
     * was compared with everyone's work. Refused before anything is leased, naming the option.
     */
    @Test
    void theBriefsClaimCopiedWithItsSentenceUnfilledIsRefusedBeforeAnythingIsLeased() throws Exception {
        try (dev.rhizome.coordinator.Coordinator c = dev.rhizome.coordinator.Coordinator.start(
                dev.rhizome.coordinator.CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent");
            CliRun.openDirection(c.url(), dir.resolve("op"), agent, "d");
            String printed = CliRun.at(c.url(), agent, "brief", "--direction", "d", "--json").succeeded("brief").json()
                    .getAsJsonObject("commands").get("claim").getAsString();
            Path ws = dir.resolve("ws");
            String copied = printed.replace(CliRun.flagValue(printed, "--workspace"), ws.toString())
                    .replaceFirst("^rhizome ", "");
            JsonObject refused = CliRun.of(CliRun.shellWords(copied).toArray(String[]::new))
                    .failure(ExitCodes.USAGE, "usage", "'<one sentence>' is a placeholder");
            assertThat(refused.get("option").getAsString()).isEqualTo("--hypothesis");
            assertThat(ws).doesNotExist();
            assertThat(CliRun.at(c.url(), agent, "status", "--json").succeeded("status").json().get("units_leased")
                    .getAsLong()).as("nothing leased").isZero();

            // filled in, the same command claims
            String filled = copied.replace("'<one sentence>'", "'halve the learning rate'");
            JsonObject claimed = CliRun.of(CliRun.shellWords(filled).toArray(String[]::new)).succeeded(filled).json();
            assertThat(Path.of(claimed.get("workspace").getAsString()).toRealPath()).isEqualTo(ws.toRealPath());
        }
    }
}
