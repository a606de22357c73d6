package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {
    @TempDir
    Path dir;

    @Test
    void everyCommandHasHelp() throws Exception {
        for (String cmd : new String[] {"id", "coordinator", "node", "seed", "direction", "claim", "submit", "papers",
                "leaderboard", "results", "status", "demo",
            "brief", "renew", "wait", "tree", "agent", "ban"}) {
            CliRun help = CliRun.child(null, cmd, "--help");
            assertThat(help.code()).as(cmd + ": " + help.out() + help.err()).isZero();
            assertThat(help.out()).as(cmd).contains("Usage: rhizome " + cmd);
        }
    }

    @Test
    void nodePreferencesFileIsCheckedLikeTheCommandLineAndNamesTheFile() throws Exception {
        Files.writeString(dir.resolve("node.properties"), "cpu-jobs=lots\n");
        CliRun bad = CliRun.of("node", "--data-dir", dir.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("node.properties").contains("cpu-jobs").contains("lots");

        Files.writeString(dir.resolve("node.properties"), "run-hours=evenings\n");
        CliRun window = CliRun.of("node", "--data-dir", dir.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(window.code()).isEqualTo(2);
        assertThat(window.err()).contains("node.properties: invalid value 'evenings' for --run-hours: expected ");

        Files.writeString(dir.resolve("node.properties"), "no-such-option=1\n");
        CliRun unknown = CliRun.of("node", "--data-dir", dir.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("node.properties").contains("no-such-option");
    }

    @Test
    void nodeStatusWithoutARunningNodeSaysSo() {
        CliRun status = CliRun.of("node", "status", "--data-dir", dir.toString());
        assertThat(status.code()).isNotZero();
        assertThat(status.err()).contains("no node is running on this data directory");
    }

    @Test
    void idPrintsTheSameIdEveryTime() {
        CliRun first = CliRun.of("id", "--data-dir", dir.toString(), "--json");
        CliRun second = CliRun.of("id", "--data-dir", dir.toString());
        JsonObject json = JsonParser.parseString(first.out().trim()).getAsJsonObject();
        assertThat(first.code()).isZero();
        assertThat(json.get("id").getAsString()).hasSize(64).isEqualTo(second.out().trim());
    }

    @Test
    void badArgumentsExitWithTwoAndSayWhy() {
        CliRun r = CliRun.of("demo", "--nodes", "many");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--nodes").contains("many");

        CliRun zero = CliRun.of("demo", "--nodes", "0");
        assertThat(zero.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(zero.err()).contains("--nodes").contains("'0'");

        CliRun many = CliRun.of("demo", "--nodes", "33");
        assertThat(many.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(many.err()).contains("invalid value '33' for --nodes: expected a whole number from 1 to 32");
    }

    @Test
    void valuesCheckedAfterParsingNameTheirOptionOrConfigKeyInTheJson() throws Exception {
        // they had option null and words of their own ("--degree must be at least 1 and below --nodes")
        JsonObject degree = CliRun.of("bench", "gossip", "--nodes", "5", "--degree", "9", "--json")
                .failure(ExitCodes.USAGE, "usage", "invalid value '9' for --degree: expected");
        assertThat(degree.get("option").getAsString()).isEqualTo("--degree");
        JsonObject nodes = CliRun.of("demo", "--nodes", "33", "--json", "--data-dir", dir.resolve("demo").toString())
                .failure(ExitCodes.USAGE, "usage", "invalid value '33' for --nodes");
        assertThat(nodes.get("option").getAsString()).isEqualTo("--nodes");

        Path config = Files.writeString(dir.resolve("c.json"), "{\"port\": 70000}");
        // a port from the file was told as "--port must be 0..65535", a flag never typed
        CliRun port = CliRun.of("coordinator", "--config", config.toString(), "--data-dir", dir.resolve("c").toString());
        assertThat(port.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(port.err()).contains("invalid value '70000' for port in config file " + config
                + ", line 1: expected a port from 0 to 65535").doesNotContain("--port");
    }

    @Test
    void unreachableCoordinatorExitsWithFive() {
        CliRun r = CliRun.of("leaderboard", "--data-dir", dir.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(r.code()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(r.err()).contains("unreachable").contains("connection refused").doesNotContain("java.net");
    }

    @Test
    void claimWithNoWorkExitsWithThreeAndJsonSaysSo() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("c")))) {
            CliRun r = CliRun.of("claim", "--data-dir", dir.resolve("agent").toString(), "--coordinator", c.url(), "--json");
            assertThat(r.code()).isEqualTo(ExitCodes.NO_WORK);
            JsonObject o = JsonParser.parseString(r.out().trim()).getAsJsonObject();
            assertThat(o.get("unit").isJsonNull()).isTrue();
            // every error object has the same four keys: no_work lacked `option`
            assertThat(o.get("error").getAsString()).isEqualTo("no_work");
            assertThat(o.has("option") && o.get("option").isJsonNull()).as(o.toString()).isTrue();
        }
    }

    @Test
    void onlyAnOperatorBansAndTheBannedKeyIsRefusedWithTheReason() throws Exception {
        Path operatorDir = dir.resolve("operator");
        Path strangerDir = dir.resolve("stranger");
        var operator = IdentityStore.loadOrCreate(operatorDir);
        var stranger = IdentityStore.loadOrCreate(strangerDir);
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("c"))
                .withOperators(Set.of(operator.publicId())))) {
            CliRun notOperator = CliRun.of("ban", "--data-dir", strangerDir.toString(), "--coordinator", c.url(),
                    "--key", operator.publicId().toString());
            assertThat(notOperator.code()).as(notOperator.err()).isEqualTo(ExitCodes.REFUSED);
            assertThat(notOperator.err()).contains("not an operator");

            CliRun badKey = CliRun.of("ban", "--data-dir", operatorDir.toString(), "--coordinator", c.url(), "--key", "abc");
            assertThat(badKey.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(badKey.err()).contains("--key");

            CliRun banned = CliRun.of("ban", "--data-dir", operatorDir.toString(), "--coordinator", c.url(),
                    "--key", stranger.publicId().toString(), "--reason", "forged metrics", "--json");
            assertThat(banned.code()).as(banned.err()).isZero();
            JsonObject o = JsonParser.parseString(banned.out().trim()).getAsJsonObject();
            assertThat(o.get("key").getAsString()).isEqualTo(stranger.publicId().toString());
            assertThat(o.get("message").getAsString()).isEqualTo("key banned");

            CliRun claim = CliRun.of("claim", "--data-dir", strangerDir.toString(), "--coordinator", c.url());
            assertThat(claim.code()).isEqualTo(ExitCodes.REFUSED);
            assertThat(claim.err()).contains("banned").contains("forged metrics");

            CliRun close = CliRun.of("direction", "close", "--data-dir", operatorDir.toString(), "--coordinator", c.url(),
                    "--name", "nope");
            assertThat(close.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(close.err()).contains("unknown direction nope");
        }
    }

    @Test
    void submitOfAnUnknownUnitIsAUsageError() {
        CliRun r = CliRun.of("submit", "--data-dir", dir.toString(), "--unit", "nope", "--workspace", dir.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("no claim of unit nope");
    }

    /** Every command and subcommand, as the words that run it ("seed publish"). */
    private static List<String> commandPaths(CommandLine cli, String prefix) {
        List<String> out = new ArrayList<>();
        cli.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                String path = (prefix + " " + name).strip();
                out.add(path);
                out.addAll(commandPaths(sub, path));
            }
        });
        return out;
    }

    @Test
    void everyCommandAtEveryDepthHasHelpAndItsSummaryIsAWholeSentence() {
        List<String> paths = commandPaths(Main.commandLine(), "");
        assertThat(paths).contains("seed publish", "bench gossip", "node doctor", "direction close", "export", "verify");
        CommandLine root = Main.commandLine();
        for (String path : paths) {
            CommandLine c = root;
            for (String word : path.split(" ")) {
                c = c.getSubcommands().get(word);
            }
            assertThat(c.getCommandSpec().findOption("--help")).as(path).isNotNull();
            assertThat(c.getCommandSpec().findOption("--help").usageHelp()).as(path).isTrue();
            StringWriter usage = new StringWriter();
            c.usage(new PrintWriter(usage));
            assertThat(usage.toString()).as(path).contains("Usage: rhizome " + path);
        }
        // The list of commands shows each one's first description line: it must not stop mid-sentence
        // (it once read "runs jobs, reports signed results,").
        for (String group : new String[] {"", "node", "seed", "direction", "bench"}) {
            CommandLine cli = Main.commandLine();
            CommandLine g = group.isEmpty() ? cli : cli.getSubcommands().get(group);
            g.getSubcommands().forEach((name, sub) -> {
                String summary = sub.getCommandSpec().usageMessage().description()[0].strip();
                assertThat(summary).as(group + " " + name).matches("(?s).*[.)]$");
            });
        }
    }

    @Test
    void everyNumericOptionIsBoundedAndAnOutOfRangeValueIsAUsageErrorNamingIt() {
        Set<String> unbounded = Set.of("bench gossip --seed"); // any long is a fine seed
        CommandLine root = Main.commandLine();
        List<String> missing = new ArrayList<>();
        for (String path : commandPaths(root, "")) {
            CommandLine c = root;
            for (String word : path.split(" ")) {
                c = c.getSubcommands().get(word);
            }
            for (CommandLine.Model.OptionSpec o : c.getCommandSpec().options()) {
                Class<?> t = o.type();
                boolean numeric = (t.isPrimitive() && t != boolean.class) || Number.class.isAssignableFrom(t);
                boolean bounded = Arrays.stream(o.converters())
                        .anyMatch(conv -> conv.getClass().getEnclosingClass() == Bounded.class);
                if (numeric && !bounded && !unbounded.contains(path + " " + o.longestName())) {
                    missing.add(path + " " + o.longestName());
                }
            }
        }
        assertThat(missing).as("numeric options without a range").isEmpty();

        for (String[] args : new String[][] {{"papers", "--limit", "-1", "--json"}, {"wait", "--commit", "abcd", "--timeout", "-5", "--json"},
                {"leaderboard", "--limit", "0", "--json"}, {"node", "--cpu-jobs", "-2", "--json"},
                {"node", "--idle-max-load", "NaN", "--json"}, {"agent", "--direction", "d", "--cmd", "true", "--round-timeout", "0", "--json"}}) {
            CliRun r = CliRun.of(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(ExitCodes.USAGE);
            assertThat(r.err()).as(String.join(" ", args)).contains(args[args.length - 3]).contains(args[args.length - 2])
                    .doesNotContain("Usage:");
            JsonObject o = JsonParser.parseString(r.out().trim()).getAsJsonObject();
            assertThat(o.get("error").getAsString()).isEqualTo("usage");
            assertThat(o.get("hint").getAsString()).isEqualTo("see `rhizome " + args[0] + " --help`");
        }
        CliRun nested = CliRun.of("seed", "publish", "--bogus", "--json");
        assertThat(JsonParser.parseString(nested.out().trim()).getAsJsonObject().get("hint").getAsString())
                .isEqualTo("see `rhizome seed publish --help`");
    }

    @Test
    void failuresNobodyForesawAreOneReadableLineWithoutAStackTrace() throws Exception {
        Path missing = dir.resolve("no-such-seed");
        CliRun seed = CliRun.of("seed", "publish", "--dir", missing.toString(), "--data-dir", dir.resolve("d").toString(),
                "--coordinator", "http://127.0.0.1:1", "--json");
        // a missing path named on the command line is a bad argument (PathArgumentsTest): it was exit 1 here
        assertThat(seed.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(seed.err()).contains(missing.toString()).doesNotContain("\tat ").doesNotContain("java.io.");
        assertThat(JsonParser.parseString(seed.out().trim()).getAsJsonObject().get("message").getAsString())
                .doesNotContain("Exception");

        CliRun verify = CliRun.of("verify", dir.resolve("absent.jsonl").toString());
        assertThat(verify.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(verify.err()).contains("no such file").contains("absent.jsonl");
        Files.write(dir.resolve("binary.jsonl"), new byte[] {(byte) 0xff, (byte) 0xfe, '{', '\n'});
        CliRun binary = CliRun.of("verify", dir.resolve("binary.jsonl").toString());
        assertThat(binary.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(binary.err()).contains("binary.jsonl").contains("not UTF-8 text").doesNotContain("Input length")
                .as("what verify takes").contains("rhizome export --out FILE");
        // An export cut short (killed mid-write, copied in part) is told as truncated, not as a bad record.
        Files.writeString(dir.resolve("cut.jsonl"), "{\"header\":{\"format\":\"rhizome-audit-v1\",\"sealed\":true}}\n"
                + "{\"envelope\":{\"type\":\"rhizome.v1.Se");
        CliRun cut = CliRun.of("verify", dir.resolve("cut.jsonl").toString());
        assertThat(cut.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(cut.err()).contains(dir.resolve("cut.jsonl") + " is truncated").doesNotContain("not an audit record");
        Files.writeString(dir.resolve("short.jsonl"), "{\"header\":{\"format\":\"rhizome-audit-v1\",\"sealed\":true}}\n");
        CliRun shortFile = CliRun.of("verify", dir.resolve("short.jsonl").toString(), "--json");
        assertThat(shortFile.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(shortFile.out() + shortFile.err()).contains("short.jsonl is truncated");

        CliRun prefs = CliRun.of("node", "--data-dir", dir.toString(), "--config", dir.toString());
        assertThat(prefs.code()).isEqualTo(ExitCodes.USAGE);
        // a directory named as --config is refused as it is parsed, as every path argument (PathArgumentsTest)
        assertThat(prefs.err()).contains("--config " + dir).contains("is a directory, not a file").doesNotContain("\tat ");

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CliRun coordinator = CliRun.of("coordinator", "--data-dir", dir.resolve("c").toString(), "--port",
                    String.valueOf(taken.getLocalPort()), "--json");
            assertThat(coordinator.code()).isEqualTo(ExitCodes.FAILED);
            assertThat(coordinator.err()).contains("cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .contains("address already in use").doesNotContain("\tat ");
            // the option to change, for the script that starts it
            assertThat(coordinator.json().get("option").getAsString()).isEqualTo("--port");
        }
        // A node's --host is what peers dial: a wildcard would have them dial themselves.
        CliRun wildcard = CliRun.of("node", "--data-dir", dir.resolve("n").toString(), "--host", "0.0.0.0");
        assertThat(wildcard.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(wildcard.err()).contains("--host is the address peers dial").contains("0.0.0.0").doesNotContain("\tat ");
        // An address this machine does not have (TEST-NET-1) is not "already in use".
        CliRun foreign = CliRun.of("coordinator", "--data-dir", dir.resolve("c").toString(), "--host", "192.0.2.1", "--port", "0",
                "--json");
        assertThat(foreign.code()).isEqualTo(ExitCodes.FAILED);
        assertThat(foreign.json().get("option").getAsString()).isEqualTo("--host");
        assertThat(foreign.err()).contains("cannot listen on 192.0.2.1:0").contains("no such address")
                .doesNotContain("in use").doesNotContain("\tat ");
    }

    @Test
    void anUnknownDirectionIsAnErrorOnEveryCommandThatFiltersByOne() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("c")))) {
            for (String cmd : new String[] {"papers", "results", "leaderboard", "tree", "brief"}) {
                CliRun r = CliRun.of(cmd, "--data-dir", dir.resolve("agent").toString(), "--coordinator", c.url(),
                        "--direction", "nope", "--json");
                assertThat(r.code()).as(cmd).isEqualTo(ExitCodes.USAGE);
                assertThat(JsonParser.parseString(r.out().trim()).getAsJsonObject().get("error").getAsString())
                        .as(cmd).isEqualTo("unknown_direction");
            }
            CliRun badCommit = CliRun.of("papers", "--data-dir", dir.resolve("agent").toString(), "--coordinator", c.url(),
                    "--commit", "xyz!", "--json");
            assertThat(badCommit.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(JsonParser.parseString(badCommit.out().trim()).getAsJsonObject().get("error").getAsString())
                    .isEqualTo("bad_commit");
        }
    }

    @Test
    void aNodeWhoseCoordinatorIsDownSaysSoInOneLineAndKeepsTrying() throws Exception {
        Path log = dir.resolve("node.log");
        Process node = new ProcessBuilder(TestNetwork.launcher("node", "--data-dir", dir.resolve("n").toString(),
                "--coordinator", "http://127.0.0.1:1"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            // it once logged "work unit failed; its lease will expire" with a stack trace, every retry
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).until(() ->
                    Files.readString(log).lines()
                            .filter(l -> l.contains("cannot reach the coordinator: coordinator at http://127.0.0.1:1 "
                                    + "is unreachable: connection refused")).count() >= 1);
            String text = Files.readString(log);
            assertThat(text).doesNotContain("work unit failed").doesNotContain("\tat dev.rhizome");
        } finally {
            node.destroy();
            node.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
