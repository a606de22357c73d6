package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.rhizome.client.cli.Coordinators;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent about to start reads `rhizome brief` and nothing else: it must see there what others
 * already tried on the direction, whatever came of it (still running, crashed, lost), not only
 * the top results and failed runs. The brief named only a count of experiments, so an agent
 * repeated a hypothesis under evaluation unless it found `rhizome log`. Real coordinator and
 * commands.
 */
class BriefShowsWhatWasTriedTest {
    private static final String DIRECTION = "tried";

    @TempDir
    Path dir;

    private String url;

    @Test
    void theBriefListsTheNewestExperimentsWithTheirOutcomesAndEachFailedCommitOnce() throws Exception {
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            url = coordinator.url();
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "brief-tried", DIRECTION);
            CoordinatorClient me = new CoordinatorClient(url, Coordinators.identity(dir.resolve("agent")));
            String crashed = OpenDirections.register(me, seed, DIRECTION, "lower the learning rate to 1e-4");
            // the base's evaluations and then the crashed one's are handed out first
            report(crashed, "CUDA out of memory");
            report(crashed, "CUDA out of memory");
            List<String> others = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                others.add(OpenDirections.register(operator, seed, DIRECTION, "widen the hidden layer to " + (40 + i)));
            }
            String underWay = others.get(others.size() - 1);
            operator.publishPaper(Paper.newBuilder().setDirection(DIRECTION).setTitle("Width notes")
                    .setBodyMarkdown("wider is slower").addCommits(underWay)
                    .setAuthor(operator.identity().publicId().toByteString()).setCreatedMs(System.currentTimeMillis())
                    .build());

            JsonObject brief = CliRun.at(url, dir.resolve("agent"), "brief", "--direction", DIRECTION, "--json")
                    .succeeded("brief").json();
            JsonArray tried = brief.getAsJsonArray("tried");
            List<String> newestFirst = new ArrayList<>(others);
            Collections.reverse(newestFirst);
            assertThat(commits(tried)).as("the newest ten, newest first").containsExactlyElementsOf(newestFirst);
            assertThat(brief.get("tried_left_out").getAsLong()).as("the crashed one, older").isEqualTo(1);
            JsonObject newest = tried.get(0).getAsJsonObject();
            assertThat(newest.get("outcome").getAsString()).isEqualTo("pending");
            assertThat(newest.get("mine").getAsBoolean()).isFalse();
            assertThat(newest.getAsJsonObject("hypothesis").get("untrusted").getAsBoolean()).isTrue();
            assertThat(newest.getAsJsonObject("hypothesis").get("text").getAsString())
                    .isEqualTo("widen the hidden layer to 49");
            assertThat(newest.getAsJsonArray("paper_titles").toString()).contains("Width notes");
            // the outcome is `log`'s, key for key
            JsonObject logged = CliRun.at(url, dir.resolve("agent"), "log", "--direction", DIRECTION, "--limit", "1",
                    "--json").succeeded("log").json().getAsJsonArray("experiments").get(0).getAsJsonObject();
            for (String key : List.of("commit", "outcome", "hypothesis", "paper_titles", "reason", "metric")) {
                assertThat(newest.get(key)).as(key).isEqualTo(logged.get(key));
            }

            JsonArray failures = brief.getAsJsonArray("failures");
            assertThat(commits(failures)).as("two crashed runs of one commit are one failure").containsExactly(crashed);

            String text = CliRun.at(url, dir.resolve("agent"), "brief", "--direction", DIRECTION).succeeded("brief").out();
            assertThat(text).contains("## Tried on this direction (newest 10 of 11)")
                    .contains("| widen the hidden layer to 49").contains("PENDING")
                    .contains("1 older experiment(s): `rhizome log --direction tried --data-dir "
                            + Shell.quote(dir.resolve("agent")) + " --coordinator " + url + "` pages through them all.");
            assertThat(text.substring(text.indexOf("## Recent failures"), text.indexOf("## Your pending")))
                    .containsOnlyOnce("- " + crashed.substring(0, 10) + " CRASH");
        }
    }

    /** Fresh runners lease evaluations until one is {@code commit}'s, and report it crashed. */
    private void report(String commit, String reason) throws CoordinatorException {
        for (int i = 0; i < 10; i++) {
            FreshRunner runner = FreshRunner.at(url, "cpu:brief");
            WorkUnit unit = runner.claimEvaluation();
            if (unit.getCommit().equals(commit)) {
                runner.report(unit, Result.Status.CRASH, reason, null);
                return;
            }
        }
        throw new AssertionError("no evaluation of " + commit + " in 10 claims");
    }

    private static List<String> commits(JsonArray entries) {
        List<String> commits = new ArrayList<>();
        for (JsonElement e : entries) {
            commits.add(e.getAsJsonObject().get("commit").getAsString());
        }
        return commits;
    }
}
