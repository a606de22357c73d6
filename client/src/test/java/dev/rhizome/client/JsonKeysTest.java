package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What `--json` prints is said by each command's own --help, and true: every --json option names
 * the keys of its answer, and every command this walk can run against a coordinator on loopback
 * prints no top-level key its help does not name. Most said only "Print one JSON object.", so an
 * agent had to run a command to learn its keys, and docs/agents.md had drifted (`brief`'s
 * `generated_ms` and `direction_description` were in no list).
 */
class JsonKeysTest {
    /** Commands whose --json ends a long run with a summary line the README lists. */
    private static final Set<String> SUMMARY_LINE = Set.of("rhizome demo", "rhizome bench gossip",
            "rhizome bench soak", "rhizome bench node", "rhizome bench repack", "rhizome bench reads");
    /**
     * Commands whose keys a test of their own checks against their help (too long a run for the
     * walks), and `direction requeue`, whose answer needs a trial queued again 3 times for another
     * class (the coordinator's MadeUpClassTest makes one); its keys are `direction close`'s, from
     * the same code, and DirectionRequeueCommandTest runs its refusal.
     */
    private static final Set<String> CHECKED_APART = Set.of("rhizome bench coordinator", "rhizome direction requeue");
    /**
     * Commands the first walk does not run: they need a running node, a decided experiment or a
     * seed directory. The second walk runs them all but `agent` (AgentLoopTest checks its lines).
     */
    private static final Set<String> NOT_WALKED = Set.of("rhizome submit", "rhizome wait", "rhizome agent",
            "rhizome node status", "rhizome node pause", "rhizome node resume", "rhizome node doctor",
            "rhizome seed publish");

    /** Services: their ready lines are checked against their help where they are started (ServiceCommandsJsonTest). */
    static final Set<String> SERVICES = Set.of("rhizome coordinator", "rhizome node");

    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9]*(?:_[a-z0-9]+)*");

    @TempDir
    Path dir;

    @Test
    void everyJsonOptionNamesItsKeysAndEveryAnswerHasOnlyKeysItsHelpNames() throws Exception {
        Map<String, String> help = jsonHelp();
        List<String> silent = help.entrySet().stream()
                .filter(e -> !SUMMARY_LINE.contains(e.getKey()) && !e.getValue().contains(": "))
                .map(e -> e.getKey() + ": " + e.getValue()).toList();
        assertThat(silent).as("--json descriptions that name no key").isEmpty();

        Map<String, JsonObject> answers = new LinkedHashMap<>();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = coordinator.url();
            Path operator = dir.resolve("operator");
            CliRun.openDirection(url, operator, dir.resolve("node"), "d");
            String[] as = {"--coordinator", url, "--data-dir", dir.resolve("agent").toString()};
            String[] op = {"--coordinator", url, "--data-dir", operator.toString()};
            answers.put("rhizome id", run(new String[] {"--data-dir", dir.resolve("agent").toString()}, "id"));
            answers.put("rhizome status", run(as, "status"));
            answers.put("rhizome seed list", run(as, "seed", "list"));
            answers.put("rhizome direction open", run(op, "direction", "open", "--seed", "slow", "--name", "d2"));
            answers.put("rhizome direction close", run(op, "direction", "close", "--name", "d2", "--reason", "r"));
            answers.put("rhizome direction list", run(as, "direction", "list"));
            JsonObject claim = run(as, "claim", "--direction", "d", "--hypothesis", "try something");
            answers.put("rhizome claim", claim);
            String unit = claim.getAsJsonObject("unit").get("id").getAsString();
            answers.put("rhizome renew", run(as, "renew", "--unit", unit));
            answers.put("rhizome unclaim", run(as, "unclaim", "--unit", unit));
            answers.put("rhizome brief", run(as, "brief", "--direction", "d"));
            answers.put("rhizome tree", run(as, "tree", "--direction", "d"));
            answers.put("rhizome log", run(as, "log", "--direction", "d"));
            answers.put("rhizome papers", run(as, "papers", "--direction", "d"));
            Path paper = Files.writeString(dir.resolve("paper.md"), "# A finding\n\nwhat happened\n");
            answers.put("rhizome publish", run(as, "publish", "--paper", paper.toString(), "--direction", "d"));
            answers.put("rhizome results", run(as, "results"));
            answers.put("rhizome leaderboard", run(as, "leaderboard"));
            JsonObject volunteers = run(as, "leaderboard", "--volunteers");
            String audit = dir.resolve("audit.jsonl").toString();
            answers.put("rhizome export", run(new String[] {"--coordinator", url}, "export", "--out", audit));
            answers.put("rhizome verify", run(new String[0], "verify", audit));
            answers.put("rhizome node receipts", run(new String[] {"--data-dir", dir.resolve("agent").toString()},
                    "node", "receipts", "--out", dir.resolve("receipts.jsonl").toString()));
            answers.put("rhizome ban", run(op, "ban", "--key", Identity.generate().publicId().toString(), "--reason", "r"));
            answers.put("rhizome coordinator backup", run(new String[] {"--data-dir", dir.resolve("coordinator").toString()},
                    "coordinator", "backup", "--out", dir.resolve("coordinator-backup.db").toString()));
            List<String> unnamed = new ArrayList<>();
            answers.forEach((command, answer) -> {
                Set<String> named = keys(help.get(command));
                answer.keySet().stream().filter(k -> !named.contains(k)).forEach(k -> unnamed.add(command + " " + k));
            });
            volunteers.keySet().stream().filter(k -> !keys(help.get("rhizome leaderboard")).contains(k))
                    .forEach(k -> unnamed.add("rhizome leaderboard --volunteers " + k));
            assertThat(unnamed).as("keys printed that --help does not name").isEmpty();

            // absent is null, never "", and a key's hex id is there even where the key is not
            List<String> empty = new ArrayList<>();
            answers.forEach((command, answer) -> absentValues(command, answer, empty));
            assertThat(empty).as("empty strings and missing <key>_id in --json answers").isEmpty();
            List<String> twice = new ArrayList<>();
            answers.forEach((command, answer) -> unsaidTwins(command, answer, help.get(command), twice));
            unsaidTwins("rhizome leaderboard --volunteers", volunteers, help.get("rhizome leaderboard"), twice);
            assertThat(twice).as("a value under two names that --help does not say are the same").isEmpty();
            assertThat(answers.get("rhizome ban").get("key_id")).as("ban's key in hex under the name every answer gives it")
                    .isEqualTo(answers.get("rhizome ban").get("key"));
            JsonObject leased = claim.getAsJsonObject("unit");
            assertThat(leased.get("parent").isJsonNull()).as("a unit on the base has no parent: " + leased).isTrue();
            assertThat(leased.get("proposer").isJsonNull()).as(leased.toString()).isTrue();
            assertThat(leased.get("proposer_id").isJsonNull()).as("the _id key is there, null").isTrue();
            JsonObject open = answers.get("rhizome direction list").getAsJsonArray("directions").get(0).getAsJsonObject();
            assertThat(open.get("closed_reason").isJsonNull()).as(open.toString()).isTrue();
            // before any result the tree had no leaderboard, and said lower_is_better false of a lower-is-better seed
            JsonObject tree = answers.get("rhizome tree");
            assertThat(tree.get("metric_name").getAsString()).as(tree.toString()).isEqualTo("val_bpb");
            assertThat(tree.get("lower_is_better").getAsBoolean()).isTrue();
            // verify checked the records against a network it did not print: the export's header names it
            assertThat(answers.get("rhizome verify").get("network").getAsString())
                    .isEqualTo(answers.get("rhizome status").get("network_id").getAsString());
        }
        Set<String> all = new TreeSet<>(help.keySet());
        all.removeAll(SUMMARY_LINE);
        all.removeAll(NOT_WALKED);
        all.removeAll(SERVICES);
        all.removeAll(CHECKED_APART);
        assertThat(answers.keySet()).as("a new --json command is walked here, or named in NOT_WALKED")
                .containsExactlyInAnyOrderElementsOf(all);
    }

    /**
     * The commands the first walk cannot run: `seed publish` from a directory, the node's own
     * `status`, `pause`, `resume` and `doctor` against a running node, and `submit --wait`, `wait` and
     * `papers` on an experiment two nodes evaluated, with its paper, so each prints its whole answer.
     */
    @Test
    void theAnswersThatNeedANodeOrADecidedExperimentHaveOnlyKeysTheirHelpNames() throws Exception {
        Map<String, String> help = jsonHelp();
        Map<String, JsonObject> answers = new LinkedHashMap<>();
        Path seedDir = Files.createDirectories(dir.resolve("seed"));
        // a timeout a loaded test machine's `java Train.java` meets: this walk needs a real metric
        for (Map.Entry<String, byte[]> f : TestNetwork.slowSeed(3, 300).entrySet()) {
            Files.write(seedDir.resolve(f.getKey()), f.getValue());
        }
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            String url = coordinator.url();
            String[] vol = {"--coordinator", url, "--data-dir", volunteer.toString()};
            answers.put("rhizome seed publish", run(vol, "seed", "publish", "--dir", seedDir.toString()));
            run(vol, "direction", "open", "--seed", "slow", "--name", "d");
            try (NodeDaemon runner = TestNetwork.node(NodeConfig.defaults(volunteer, url));
                    NodeDaemon agentsNode = TestNetwork.node(NodeConfig.defaults(agent, url))) {
                String[] local = {"--data-dir", agent.toString()};
                answers.put("rhizome node pause", run(local, "node", "pause"));
                answers.put("rhizome node resume", run(local, "node", "resume"));
                answers.put("rhizome node status", run(local, "node", "status"));
                // the credit the coordinator keeps, asked of the coordinator the node works for
                assertThat(answers.get("rhizome node status").get("coordinator").getAsString()).isEqualTo(url);
                assertThat(answers.get("rhizome node status").get("coordinator_credit").isJsonObject())
                        .as(answers.get("rhizome node status").toString()).isTrue();
                // pause and resume answered `paused` alone: which node they paused was left to guess
                assertThat(answers.get("rhizome node pause").get("node_id"))
                        .isEqualTo(answers.get("rhizome node status").get("node_id")).isNotNull();
                assertThat(answers.get("rhizome node resume").get("node_id"))
                        .isEqualTo(answers.get("rhizome node status").get("node_id"));
                CliRun doctor = CliRun.of("node", "doctor", "--json", "--data-dir", agent.toString());  // a running node's: serving too
                assertThat(doctor.code()).as(doctor.out() + doctor.err()).isIn(0, 1);  // 1: no sandbox on this machine
                answers.put("rhizome node doctor", doctor.json());

                String[] as = {"--coordinator", url, "--data-dir", agent.toString()};
                Path ws = dir.resolve("ws");
                run(as, "claim", "--direction", "d", "--workspace", ws.toString());
                TestNetwork.commitNearTheBest(ws);
                Path paper = Files.writeString(dir.resolve("paper.md"), "# Raising x helps\n\nBest near x = e^0.5.\n");
                JsonObject submitted = run(new String[0], "submit", "--workspace", ws.toString(), "--paper",
                        paper.toString(), "--wait", "--timeout", "600");
                answers.put("rhizome submit", submitted);
                String commit = submitted.get("commit").getAsString();
                answers.put("rhizome wait", run(as, "wait", "--commit", commit));
                answers.put("rhizome log", run(as, "log", "--direction", "d"));
                answers.put("rhizome papers", run(as, "papers", "--commit", commit));
                JsonObject outcome = submitted.getAsJsonObject("outcome");
                // as `wait` ends: the paper's command once decided (submit --wait ended on the metric)
                assertThat(outcome.get("publish_command").getAsString())
                        .startsWith("rhizome publish --paper FINDING.md --commit ");

                List<String> unnamed = new ArrayList<>();
                answers.forEach((command, answer) -> unnamed.addAll(unnamed(command, answer, help.get(command))));
                unnamed.addAll(unnamed("rhizome submit --wait outcome", outcome, help.get("rhizome wait")));
                JsonObject listed = answers.get("rhizome papers").getAsJsonArray("papers").get(0).getAsJsonObject();
                unnamed.addAll(unnamed("rhizome papers papers[0]", listed, help.get("rhizome papers")));
                unnamed.addAll(unnamed("rhizome papers papers[0].title", listed.getAsJsonObject("title"),
                        help.get("rhizome papers")));
                assertThat(unnamed).as("keys printed that --help does not name").isEmpty();
                List<String> empty = new ArrayList<>();
                answers.forEach((command, answer) -> absentValues(command, answer, empty));
                assertThat(empty).as("empty strings and missing <key>_id in --json answers").isEmpty();
                List<String> twice = new ArrayList<>();
                answers.forEach((command, answer) -> unsaidTwins(command, answer, help.get(command), twice));
                assertThat(twice).as("a value under two names that --help does not say are the same").isEmpty();
                assertThat(outcome.getAsJsonArray("result_reasons").size()).as("a reason beside each status: " + outcome)
                        .isEqualTo(outcome.getAsJsonArray("result_statuses").size());
                assertThat(outcome.get("decided").getAsBoolean()).as(outcome.toString()).isTrue();
                assertThat(outcome.get("metric").isJsonNull()).as("a real result: " + outcome).isFalse();
            }
        }
        assertThat(answers.keySet()).as("every command the first walk leaves out, but agent (AgentLoopTest)")
                .containsAll(NOT_WALKED.stream().filter(c -> !c.equals("rhizome agent")).toList());
    }

    /**
     * `bench coordinator --json` is read by scripts that compare runs (docs/performance.md's
     * tables): its help names exactly the keys its report prints, no more and no fewer.
     */
    @Test
    void benchCoordinatorsHelpNamesExactlyTheKeysItsReportPrints() {
        String description = jsonHelp().get("rhizome bench coordinator");
        var report = new dev.rhizome.ops.bench.CoordinatorBench.Report(10, 2, 50.0, 100.0, 400.0, 3.0, 9.0, 4.0, 11.0,
                1.0, "sqlite", 2, 8_000.0, 12.0, 14.0, 0, 1_500.0, 80.0, 120.0, 5.0, 11, 1.0, 3);
        JsonObject printed = com.google.gson.JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertThat(keys(description)).as("the keys --help names").containsExactlyInAnyOrderElementsOf(printed.keySet());
        assertThat(printed.keySet()).contains("limit_cycles_per_second", "ratio_to_limit", "claim_p99_ms", "result_p99_ms",
                "cpu_ratio_to_limit", "heartbeats");
        assertThat(printed.get("ratio_to_limit").getAsDouble()).as("cycles over the verify rate's half").isEqualTo(0.013);
    }

    /** The keys of {@code answer} that {@code description} (a --json option's) does not name. */
    private static List<String> unnamed(String where, JsonObject answer, String description) {
        Set<String> named = keys(description);
        return answer.keySet().stream().filter(k -> !named.contains(k)).map(k -> where + " " + k).toList();
    }

    private static JsonObject run(String[] context, String... command) {
        List<String> args = new ArrayList<>(List.of(command));
        args.add("--json");
        args.addAll(List.of(context));
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertThat(r.code()).as(args + ": " + r.out() + r.err()).isZero();
        return r.json();
    }

    /** Where {@code json} has an empty string as a value, or a key field without its {@code _id} beside it. */
    private static void absentValues(String where, com.google.gson.JsonElement json, List<String> found) {
        if (json instanceof JsonObject o) {
            for (String key : o.keySet()) {
                com.google.gson.JsonElement value = o.get(key);
                if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString() && value.getAsString().isEmpty()) {
                    found.add(where + "." + key + " is \"\"");
                }
                if (KEY_FIELDS.contains(key) && !o.has(key + "_id")) {
                    found.add(where + "." + key + " has no " + key + "_id");
                }
                absentValues(where + "." + key, value, found);
            }
        } else if (json instanceof com.google.gson.JsonArray a) {
            for (int i = 0; i < a.size(); i++) {
                absentValues(where + "[" + i + "]", a.get(i), found);
            }
        }
    }

    /**
     * Where a key {@code X} and its {@code X_id} hold the same text (a key already hex, given again under
     * the name every answer gives a key in hex: `leaderboard --volunteers`' key and key_id, `node
     * status`' node and node_id), the command's help must say "X and X_id", or an agent reads two ids.
     */
    private static void unsaidTwins(String where, com.google.gson.JsonElement json, String help, List<String> found) {
        if (json instanceof JsonObject o) {
            for (String key : o.keySet()) {
                com.google.gson.JsonElement twin = o.get(key + "_id");
                if (twin != null && !twin.isJsonNull() && twin.equals(o.get(key)) && !help.contains(key + " and " + key + "_id")) {
                    found.add(where + "." + key + " and " + key + "_id");
                }
                unsaidTwins(where + "." + key, o.get(key), help, found);
            }
        } else if (json instanceof com.google.gson.JsonArray a) {
            for (int i = 0; i < a.size(); i++) {
                unsaidTwins(where + "[" + i + "]", a.get(i), help, found);
            }
        }
    }

    /** Record fields that hold a public key (KeyIds adds their hex form as {@code <field>_id}). */
    private static final Set<String> KEY_FIELDS = Set.of("runner", "proposer", "publisher", "author", "opened_by",
            "closed_by", "banned_by", "signer", "holder", "claimant");

    /** Each command's --json description, by its qualified name. */
    private static Map<String, String> jsonHelp() {
        Map<String, String> out = new LinkedHashMap<>();
        walk(Main.commandLine(), out);
        return out;
    }

    private static void walk(CommandLine cli, Map<String, String> out) {
        OptionSpec json = cli.getCommandSpec().findOption("--json");
        if (json != null) {
            out.put(cli.getCommandSpec().qualifiedName(), String.join(" ", json.description()));
        }
        cli.getSubcommands().values().stream().filter(s -> s.getParent() == cli).forEach(s -> walk(s, out));
    }

    /** The words after the description's first ": ", read as keys. */
    static Set<String> keys(String description) {
        Set<String> keys = new TreeSet<>();
        Matcher m = KEY.matcher(description.substring(description.indexOf(": ") + 2));
        while (m.find()) {
            keys.add(m.group());
        }
        return keys;
    }
}
