package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Shell;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.ops.seed.TinyLmSeed;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome wait` on an experiment nothing runs said "1 evaluation(s) pending (0 with a runner, 1
 * queued)" until its timeout, and once decided ended on the metric with no word of the paper the
 * README's loop ends with (user24, by hand on loopback, a coordinator and no node yet). It now says
 * why the evaluations stay queued and, decided, the `publish` command, in text and `--json`.
 */
class WaitSaysWhyTest {
    @TempDir
    Path dir;

    @Test
    void aQueuedExperimentSaysNoNodeRunsItThenTheDecidedOnePointsToPublish() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = c.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "tiny", "d");
            String commit = OpenDirections.register(operator, seed, "d", "raise the learning rate");

            CliRun queued = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0", "--json");
            assertThat(queued.code()).as(queued.out() + queued.err()).isEqualTo(ExitCodes.TIMED_OUT);
            JsonObject q = queued.json();
            assertThat(q.get("queued_reason").getAsString()).contains("no node has announced").contains("rhizome node");
            assertThat(q.get("publish_command").isJsonNull()).isTrue();
            // the same in a key an agent branches on, not only in words
            assertThat(q.get("waiting_for").getAsString()).isEqualTo("node");
            assertThat(q.get("open_to_any_ms").isJsonNull()).isTrue();
            assertThat(queued.err()).as("the progress line says it too").contains("queued)").contains("no node has announced");
            CliRun queuedText = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0");
            assertThat(queuedText.out()).contains("queued: no node has announced");

            Identity volunteer = Identity.generate();
            new CoordinatorClient(url, volunteer).announce(InventoryAnnouncer.announcement(volunteer.publicId(),
                    "127.0.0.1", 9, List.of(), "cpu:log", System.currentTimeMillis()));
            JsonObject busy = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0", "--json").json();
            // announced and idle, not busy: no unit of any direction is leased
            assertThat(busy.get("queued_reason").getAsString()).contains("1 node(s) announced")
                    .contains("no unit of any direction is leased now").doesNotContain("busy");
            assertThat(busy.get("waiting_for").getAsString()).isEqualTo("free_slot");
            // and where it stands: behind the base's evaluations, which it is compared with
            assertThat(busy.get("queued_reason").getAsString()).contains("3 evaluation(s) are queued ahead of these, "
                    + "3 of them of its parent " + CommitId.abbreviate(seed.getCommit()));

            // the base's evaluation and the experiment's, reported as a node would
            // (trial seeds, then confirmation seeds), each by a runner of its own key
            JsonObject state = busy;
            for (int i = 0; i < 30 && !state.get("decided").getAsBoolean(); i++) {
                FreshRunner runner = FreshRunner.at(url, "cpu:log");
                WorkUnit unit = runner.claimEvaluation();
                runner.report(unit, Result.Status.OK, "", unit.getCommit().equals(commit) ? 1.0 : 1.5);
                state = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0", "--json").json();
            }
            assertThat(state.get("decided").getAsBoolean()).as(state.toString()).isTrue();
            CliRun decided = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0");
            assertThat(decided.code()).as(decided.out() + decided.err()).isZero();
            // with the data directory and coordinator the wait was given: it runs as printed from anywhere
            String publish = "rhizome publish --paper FINDING.md --commit " + CommitId.abbreviate(commit)
                    + " --data-dir " + Shell.quote(agent) + " --coordinator " + Shell.quote(url);
            assertThat(decided.out()).contains(publish).doesNotContain("queued:");
            JsonObject d = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0", "--json").succeeded().json();
            assertThat(d.get("publish_command").getAsString()).isEqualTo(publish);
            assertThat(d.get("queued_reason").isJsonNull()).isTrue();
            Path finding = Files.writeString(dir.resolve("FINDING.md"), "# A higher rate\n\nIt was adopted.\n");
            List<String> words = new ArrayList<>(CliRun.shellWords(publish.replaceFirst("^rhizome ", "")));
            words.set(words.indexOf("FINDING.md"), finding.toString());
            words.add("--json");
            CliRun published = CliRun.of(words.toArray(String[]::new));
            assertThat(published.code()).as(publish + ": " + published.out() + published.err()).isZero();
        }
    }

    @Test
    void aClosedDirectionAndSlotsTakenByAnotherDirectionAreToldApartFromBusy() throws Exception {
        // both were "their slots are busy with earlier work": one waits for nothing, the other for
        // another direction's work to end
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = c.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "tiny", "e");
            FreshRunner runner = FreshRunner.at(url, "cpu:log");
            runner.claimEvaluation();  // e's base, leased and kept
            OpenDirections.open(operator, seed, "d");
            String commit = OpenDirections.register(operator, seed, "d", "raise the learning rate");
            // the node holding e's unit is the one listed: its slot is taken by e's work
            new CoordinatorClient(url, runner.identity()).announce(InventoryAnnouncer.announcement(
                    runner.identity().publicId(), "127.0.0.1", 9, List.of(), "cpu:log", System.currentTimeMillis()));

            CliRun taken = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0", "--json");
            assertThat(taken.code()).as(taken.out() + taken.err()).isEqualTo(ExitCodes.TIMED_OUT);
            assertThat(taken.json().get("queued_reason").getAsString()).contains("1 node(s) announced")
                    .contains("all of other directions (e: 1)").doesNotContain("busy with earlier work")
                    .contains("claim other work meanwhile");

            // a second node that holds nothing is idle, not busy: "their slots are busy" was said of it too
            Identity idle = Identity.generate();
            new CoordinatorClient(url, idle).announce(InventoryAnnouncer.announcement(idle.publicId(),
                    "127.0.0.1", 10, List.of(), "cpu:log", System.currentTimeMillis()));
            CliRun oneIdle = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0", "--json");
            assertThat(oneIdle.code()).as(oneIdle.out() + oneIdle.err()).isEqualTo(ExitCodes.TIMED_OUT);
            assertThat(oneIdle.json().get("queued_reason").getAsString()).startsWith("2 node(s) announced")
                    .contains("1 of them holds no unit of any direction now").doesNotContain("busy")
                    .contains("`rhizome wait --commit " + commit + " --data-dir " + Shell.quote(agent)
                            + " --coordinator " + Shell.quote(url) + "` follows them");

            OpenDirections.close(operator, "d");
            CliRun closed = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0");
            assertThat(closed.code()).as(closed.out() + closed.err()).isEqualTo(ExitCodes.TIMED_OUT);
            assertThat(closed.out()).contains("queued: direction d is closed (done)").contains("no node runs these")
                    .doesNotContain("busy");
            assertThat(closed.err()).as("the progress line says it too").contains("direction d is closed");
        }
    }

    @Test
    void nodesNoneOfWhichIsOfTheSeedsHardwareClassAreToldApartFromBusy() throws Exception {
        // "busy or of another hardware class" was one sentence: a seed needing a GPU waited on CPU
        // nodes that would never run it, and the waiter could not tell
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = c.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "gpu-seed", TinyLmSeed.manifest().toBuilder().setQuorum(1)
                    .clearTrustedProposers().setHardwareClass("gpu:nvidia").build(), "d");
            String commit = OpenDirections.register(operator, seed, "d", "raise the learning rate");
            Identity cpuNode = Identity.generate();
            new CoordinatorClient(url, cpuNode).announce(InventoryAnnouncer.announcement(cpuNode.publicId(),
                    "127.0.0.1", 9, List.of(), "cpu:log", System.currentTimeMillis()));

            CliRun none = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0", "--json");
            assertThat(none.code()).as(none.out() + none.err()).isEqualTo(ExitCodes.TIMED_OUT);
            assertThat(none.json().get("queued_reason").getAsString()).startsWith("1 node(s) announced in the last 10 "
                    + "minutes (1 cpu:log), and none is of the hardware class the seed needs (gpu:nvidia)")
                    .doesNotContain("busy").doesNotContain("queued ahead");

            Identity gpuNode = Identity.generate();
            new CoordinatorClient(url, gpuNode).announce(InventoryAnnouncer.announcement(gpuNode.publicId(),
                    "127.0.0.1", 10, List.of(), "gpu:nvidia-h100", System.currentTimeMillis()));
            CliRun one = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0");
            assertThat(one.out()).contains("2 node(s) announced in the last 10 minutes (1 of them of the hardware class "
                    + "the seed needs, gpu:nvidia)").contains("queued ahead");
        }
    }

    /**
     * `rhizome log` showed a pending experiment as "not decided yet" without the reason `wait` gives
     * (round 27's newcomer): an agent reading its direction's log could not tell "nothing runs" from
     * "behind the base's evaluations".
     */
    @Test
    void logSaysWhyAPendingExperimentIsQueuedAsWaitDoes() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = c.url();
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(url, Identity.generate());
            Seed seed = OpenDirections.seed(operator, "tiny", "d");
            String commit = OpenDirections.register(operator, seed, "d", "raise the learning rate");

            CliRun text = CliRun.at(url, agent, "log", "--direction", "d").succeeded();
            assertThat(text.out()).contains("not decided yet").contains("queued: no node has announced");
            assertThat(entry(CliRun.at(url, agent, "log", "--direction", "d", "--json").succeeded().json(), commit)
                    .get("queued_reason").getAsString()).contains("no node has announced").contains("rhizome node");

            Identity volunteer = Identity.generate();
            new CoordinatorClient(url, volunteer).announce(InventoryAnnouncer.announcement(volunteer.publicId(),
                    "127.0.0.1", 9, List.of(), "cpu:log", System.currentTimeMillis()));
            JsonObject listed = entry(CliRun.at(url, agent, "log", "--direction", "d", "--json").succeeded().json(), commit);
            JsonObject waited = CliRun.at(url, agent, "wait", "--commit", commit, "--timeout", "0", "--json").json();
            assertThat(listed.get("queued_reason").getAsString()).contains("1 node(s) announced")
                    .contains("3 evaluation(s) are queued ahead of these")
                    .isEqualTo(waited.get("queued_reason").getAsString());
        }
    }

    private static JsonObject entry(JsonObject log, String commit) {
        for (var e : log.getAsJsonArray("experiments")) {
            if (e.getAsJsonObject().get("commit").getAsString().equals(commit)) {
                return e.getAsJsonObject();
            }
        }
        throw new AssertionError("no entry for " + commit + " in " + log);
    }
}
