package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        java.io.PrintStream saved = System.out;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(captured, true));
        try {
            int code = cli.execute(args);
            cli.getOut().flush();
            cli.getErr().flush();
            return new Run(code, out + captured.toString(), err.toString());
        } finally {
            System.setOut(saved);
        }
    }

    @Test
    void everyCommandHasHelp() throws Exception {
        for (String cmd : new String[] {"id", "coordinator", "node", "seed", "direction", "claim", "submit", "papers",
                "leaderboard", "results", "status", "demo",
            "brief", "renew", "wait", "tree", "agent", "ban"}) {
            Process p = new ProcessBuilder(TestNetwork.launcher(cmd, "--help")).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(cmd + ": " + out).isZero();
            assertThat(out).as(cmd).contains("Usage: rhizome " + cmd);
        }
    }

    @Test
    void nodePreferencesFileIsCheckedLikeTheCommandLineAndNamesTheFile() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("node.properties"), "cpu-jobs=lots\n");
        Run bad = run("node", "--data-dir", dir.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("node.properties").contains("cpu-jobs").contains("lots");

        java.nio.file.Files.writeString(dir.resolve("node.properties"), "run-hours=evenings\n");
        Run window = run("node", "--data-dir", dir.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(window.code()).isEqualTo(2);
        assertThat(window.err()).contains("'evenings' is not HH:MM-HH:MM");

        java.nio.file.Files.writeString(dir.resolve("node.properties"), "no-such-option=1\n");
        Run unknown = run("node", "--data-dir", dir.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err()).contains("node.properties").contains("no-such-option");
    }

    @Test
    void nodeStatusWithoutARunningNodeSaysSo() {
        Run status = run("node", "status", "--data-dir", dir.toString());
        assertThat(status.code()).isNotZero();
        assertThat(status.err()).contains("no node is running on this data directory");
    }

    @Test
    void idPrintsTheSameIdEveryTime() {
        Run first = run("id", "--data-dir", dir.toString(), "--json");
        Run second = run("id", "--data-dir", dir.toString());
        JsonObject json = JsonParser.parseString(first.out().trim()).getAsJsonObject();
        assertThat(first.code()).isZero();
        assertThat(json.get("id").getAsString()).hasSize(64).isEqualTo(second.out().trim());
    }

    @Test
    void badArgumentsExitWithTwoAndSayWhy() {
        Run r = run("demo", "--nodes", "many");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--nodes").contains("many");

        Run zero = run("demo", "--nodes", "0");
        assertThat(zero.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(zero.err()).contains("--nodes must be 1..32");
    }

    @Test
    void unreachableCoordinatorExitsWithFive() {
        Run r = run("leaderboard", "--data-dir", dir.toString(), "--coordinator", "http://127.0.0.1:1");
        assertThat(r.code()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(r.err()).contains("unreachable");
    }

    @Test
    void claimWithNoWorkExitsWithThreeAndJsonSaysSo() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("c")))) {
            Run r = run("claim", "--data-dir", dir.resolve("agent").toString(), "--coordinator", c.url(), "--json");
            assertThat(r.code()).isEqualTo(ExitCodes.NO_WORK);
            assertThat(JsonParser.parseString(r.out().trim()).getAsJsonObject().get("unit").isJsonNull()).isTrue();
        }
    }

    @Test
    void onlyAnOperatorBansAndTheBannedKeyIsRefusedWithTheReason() throws Exception {
        Path operatorDir = dir.resolve("operator");
        Path strangerDir = dir.resolve("stranger");
        var operator = dev.rhizome.protocol.identity.IdentityStore.loadOrCreate(operatorDir);
        var stranger = dev.rhizome.protocol.identity.IdentityStore.loadOrCreate(strangerDir);
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("c"))
                .withOperators(java.util.Set.of(operator.publicId())))) {
            Run notOperator = run("ban", "--data-dir", strangerDir.toString(), "--coordinator", c.url(),
                    "--key", operator.publicId().toString());
            assertThat(notOperator.code()).as(notOperator.err()).isEqualTo(ExitCodes.REFUSED);
            assertThat(notOperator.err()).contains("not an operator");

            Run badKey = run("ban", "--data-dir", operatorDir.toString(), "--coordinator", c.url(), "--key", "abc");
            assertThat(badKey.code()).isEqualTo(ExitCodes.USAGE);
            assertThat(badKey.err()).contains("--key");

            Run banned = run("ban", "--data-dir", operatorDir.toString(), "--coordinator", c.url(),
                    "--key", stranger.publicId().toString(), "--reason", "forged metrics", "--json");
            assertThat(banned.code()).as(banned.err()).isZero();
            JsonObject o = JsonParser.parseString(banned.out().trim()).getAsJsonObject();
            assertThat(o.get("key").getAsString()).isEqualTo(stranger.publicId().toString());
            assertThat(o.get("message").getAsString()).isEqualTo("key banned");

            Run claim = run("claim", "--data-dir", strangerDir.toString(), "--coordinator", c.url());
            assertThat(claim.code()).isEqualTo(ExitCodes.REFUSED);
            assertThat(claim.err()).contains("banned").contains("forged metrics");

            Run close = run("direction", "close", "--data-dir", operatorDir.toString(), "--coordinator", c.url(),
                    "--name", "nope");
            assertThat(close.code()).isEqualTo(ExitCodes.REFUSED);
            assertThat(close.err()).contains("unknown direction nope");
        }
    }

    @Test
    void submitOfAnUnknownUnitIsAUsageError() {
        Run r = run("submit", "--data-dir", dir.toString(), "--unit", "nope", "--workspace", dir.toString());
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("no claim of unit nope");
    }
}
