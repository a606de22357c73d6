package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.protocol.identity.IdentityStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedMap;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user (an LLM agent reading README.md and --help alone) tripped on in its first hour
 * (round 32): a word `claim --json` and `brief` use as a key, typed as a command; `tree --json`
 * naming the commits `base`/`frontier` where every other answer says `base_commit`/`frontier_commit`;
 * example commands carrying `--direction D` and `<commit>` where the tool knew the value; a change to
 * a protected file of the seed that `submit` let through and every node then refused.
 */
class FirstHourGapsTest {
    @TempDir
    Path dir;

    @Test
    void similarTypedAsACommandLeadsToTheCommandsThatShowSimilarWork() {
        JsonObject error = CliRun.of("similar", "--json").failure(ExitCodes.USAGE, "usage");
        assertThat(error.get("hint").getAsString()).contains("`rhizome claim --hypothesis H`").contains("`rhizome brief`");
    }

    @Test
    void treeBriefAndUnknownUnitNameTheValuesTheToolKnows() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent");
            String base = CliRun.openDirection(c.url(), dir.resolve("op"), agent, "d");

            // tree: the consistent keys beside the old ones, the same commits
            JsonObject tree = CliRun.at(c.url(), agent, "tree", "--direction", "d", "--json").json();
            assertThat(tree.get("base_commit").getAsString()).isEqualTo(base).isEqualTo(tree.get("base").getAsString());
            assertThat(tree.get("frontier_commit").getAsString()).isEqualTo(tree.get("frontier").getAsString())
                    .isEqualTo(base);

            // an unknown unit on a network of one direction: the hint's claim names it, and runs as printed
            JsonObject unknown = CliRun.at(c.url(), agent, "renew", "--unit", "nope", "--json")
                    .failure(ExitCodes.USAGE, "unknown_unit", "nope");
            String claimAgain = CliRun.firstCommand(unknown.get("hint").getAsString());
            assertThat(CliRun.flagValue(claimAgain, "--direction")).isEqualTo("d");

            // the brief's claim from a commit names the frontier, and a claim copied from it gets a unit
            JsonObject commands = CliRun.at(c.url(), agent, "brief", "--direction", "d", "--json").json()
                    .getAsJsonObject("commands");
            Path ws = dir.resolve("ws");
            String printed = commands.get("claim_from_a_commit").getAsString();
            assertThat(CliRun.flagValue(printed, "--from")).isEqualTo(base);
            // every command runs as printed, from any directory: it names this data directory and
            // coordinator (the reads too), a workspace not there yet, and nothing a shell reads as a
            // redirection (`--workspace <dir>`, `--paper <finding.md>`) or a unit that is none (`<unit>`)
            for (var e : commands.entrySet()) {
                if (e.getValue().isJsonNull()) {
                    continue;
                }
                String command = e.getValue().getAsString();
                assertThat(command).as(e.getKey()).doesNotContainPattern("(^|\\s)<").doesNotContain("<unit>");
                assertThat(CliRun.flagValue(command, "--coordinator")).as(e.getKey()).isEqualTo(c.url());
                assertThat(CliRun.flagValue(command, "--data-dir")).as(e.getKey()).isEqualTo(agent.toString());
            }
            Path printedWs = Path.of(CliRun.flagValue(printed, "--workspace"));
            assertThat(printedWs).isAbsolute().doesNotExist();
            assertThat(CliRun.flagValue(commands.get("renew_the_lease").getAsString(), "--workspace"))
                    .as("before a claim, the unit's commands name the workspace the printed claim fills")
                    .isEqualTo(printedWs.toString());
            // nothing registered yet: no commit to wait for or write about, and no placeholder for one
            assertThat(commands.get("wait_for_a_result").isJsonNull()).isTrue();
            assertThat(commands.get("publish_a_paper_after_the_wait").isJsonNull()).isTrue();
            String text = CliRun.at(c.url(), agent, "brief", "--direction", "d").succeeded("brief").out();
            assertThat(text).contains("- wait for a result: none yet: nothing was submitted on this direction")
                    .doesNotContain("<commit>");
            // copied, into this test's directory rather than the working directory's
            String from = printed.replace(printedWs.toString(), ws.toString());
            String copied = from.replaceFirst("^rhizome ", "");
            CliRun claim = CliRun.of(CliRun.shellWords(copied).toArray(String[]::new));
            assertThat(claim.code()).as(claim.out() + claim.err()).isZero();
            assertThat(claim.json().getAsJsonObject("unit").get("commit").getAsString()).isEqualTo(base);
            // the claim's brief is read elsewhere: its reads name the claim's coordinator too (its `wait`
            // and `tree`, run from another directory, asked the default coordinator)
            String tree2 = CliRun.firstCommand(Files.readString(Path.of(claim.json().get("brief").getAsString())).lines()
                    .filter(l -> l.startsWith("- see the tree:")).findFirst().orElseThrow());
            assertThat(CliRun.flagValue(tree2, "--coordinator")).isEqualTo(c.url());
            assertThat(CliRun.flagValue(tree2, "--data-dir")).isEqualTo(agent.toString());
            // a claim without a workspace is for a checkout the agent has: its brief's submit runs there,
            // naming the unit and no workspace (it named one that was not there)
            JsonObject bare = CliRun.at(c.url(), agent, "claim", "--direction", "d", "--json").succeeded("claim").json();
            String bareUnit = bare.getAsJsonObject("unit").get("id").getAsString();
            String bareSubmit = CliRun.firstCommand(Files.readString(Path.of(bare.get("brief").getAsString())).lines()
                    .filter(l -> l.startsWith("- submit and wait:")).findFirst().orElseThrow());
            assertThat(CliRun.flagValue(bareSubmit, "--unit")).isEqualTo(bareUnit);
            assertThat(CliRun.shellWords(bareSubmit)).doesNotContain("--workspace");
            CliRun.at(c.url(), agent, "unclaim", "--unit", bareUnit, "--json").succeeded("unclaim");

            // with a second direction open, the data directory's own claims still tell the direction
            CoordinatorClient operator = new CoordinatorClient(c.url(), IdentityStore.loadOrCreate(dir.resolve("op")));
            TestNetwork.publishWithDirection(operator, dir.resolve("op-node"), TestNetwork.slowSeed(1, 60), "d2");
            JsonObject stillUnknown = CliRun.at(c.url(), agent, "unclaim", "--unit", "nope", "--json")
                    .failure(ExitCodes.USAGE, "unknown_unit", "nope");
            assertThat(CliRun.flagValue(CliRun.firstCommand(stillUnknown.get("hint").getAsString()), "--direction"))
                    .isEqualTo("d");

            // once this key's experiment is registered, the brief's wait and publish name it
            try (NodeDaemon node = TestNetwork.node(NodeConfig.defaults(agent, c.url()))) {
                String commit = TestNetwork.commitNearTheBest(ws);
                CliRun submit = CliRun.of("submit", "--workspace", ws.toString(), "--json");
                assertThat(submit.code()).as(submit.out() + submit.err()).isZero();
                JsonObject after = CliRun.at(c.url(), agent, "brief", "--direction", "d", "--json").json()
                        .getAsJsonObject("commands");
                assertThat(CliRun.flagValue(after.get("wait_for_a_result").getAsString(), "--commit")).isEqualTo(commit);
                assertThat(CliRun.flagValue(after.get("publish_a_paper_after_the_wait").getAsString(), "--commit"))
                        .isEqualTo(commit);
            }
        }
    }

    @Test
    void submitRefusesAChangeToAProtectedFileAsEveryNodeWould() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path agent = dir.resolve("agent");
            CoordinatorClient operator = new CoordinatorClient(c.url(), IdentityStore.loadOrCreate(dir.resolve("op")));
            // a single-command seed may protect its training code; the node refuses a change to it
            SortedMap<String, byte[]> files = TestNetwork.slowSeed(1, 60);
            String manifest = new String(files.get("rhizome.json"), StandardCharsets.UTF_8).replace(
                    "\"editable_files\": [\"config.properties\"]",
                    "\"editable_files\": [\"config.properties\"], \"protected_files\": [\"Train.java\"]");
            files.put("rhizome.json", manifest.getBytes(StandardCharsets.UTF_8));
            String seed = TestNetwork.publishWithDirection(operator, agent, files, "d").getCommit();
            Path ws = dir.resolve("ws");
            CliRun claim = CliRun.at(c.url(), agent, "claim", "--direction", "d", "--workspace", ws.toString(), "--json");
            assertThat(claim.code()).as(claim.out() + claim.err()).isZero();

            Files.writeString(ws.resolve("Train.java"), Files.readString(ws.resolve("Train.java")) + "// faster\n");
            try (Git git = Git.open(ws.toFile())) {
                git.commit().setAll(true).setMessage("touch the protected file").setAuthor("a", "a@example.org").call();
            }
            // refused here, before a node is asked for (none serves this data directory), naming the file
            JsonObject refused = CliRun.of("submit", "--workspace", ws.toString(), "--json")
                    .failure(ExitCodes.USAGE, "forbidden_file", "Train.java, protected by the seed");
            String hint = refused.get("hint").getAsString();
            assertThat(hint).contains("git checkout " + seed + " -- Train.java").contains("change only [config.properties]");
            // nothing was registered
            assertThat(CliRun.at(c.url(), agent, "log", "--direction", "d", "--json").json()
                    .getAsJsonArray("experiments")).isEmpty();
        }
    }
}
