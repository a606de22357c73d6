package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeDoctorTest {
    @org.junit.jupiter.api.io.TempDir
    Path dir;

    @Test
    void doctorReportsEveryCheckAsJsonAndItsExitStatusIsTheVerdict() throws Exception {
        // --data-dir, as every other node command takes: doctor had none, so it could not say
        // whether the node's own directory was usable
        Path data = dir.resolve("node-data");
        // Two CPU slots: each slot's job gets half of the node's budget, which doctor prints beside the whole.
        Process p = new ProcessBuilder(TestNetwork.launcher("node", "doctor", "--json", "--data-dir", data.toString(),
                "--gpus", "none", "--cpu-jobs", "2"))
                .redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes());
        int code = p.waitFor();

        JsonObject report = JsonParser.parseString(out.strip().lines().reduce((a, b) -> b).orElseThrow()).getAsJsonObject();
        List<String> names = new ArrayList<>();
        report.getAsJsonArray("checks").forEach(c -> names.add(c.getAsJsonObject().get("name").getAsString()));
        assertThat(names).startsWith("bubblewrap", "prlimit", "job user", "cgroup v2", "memory limit", "process limit", "gpus",
                "system calls");
        boolean sandbox = report.get("sandbox").getAsBoolean();
        JsonObject dataDir = report.getAsJsonObject("data_dir");
        assertThat(dataDir.get("path").getAsString()).isEqualTo(data.toString());
        assertThat(dataDir.get("ok").getAsBoolean()).as(dataDir.toString()).isTrue();
        assertThat(dataDir.get("detail").getAsString()).contains("MiB free");
        assertThat(dataDir.get("shown_to_every_job").isJsonNull()).as(dataDir.toString()).isTrue();
        assertThat(dataDir.get("fix").isJsonNull()).as(dataDir.toString()).isTrue();
        assertThat(code).as(out).isEqualTo(sandbox ? 0 : 1);
        if (sandbox) {
            assertThat(names).contains("user namespace", "pid namespace", "network namespace", "sandboxed job");
            // Whether a job's file locks meet only its own: never required, so passed or not the node runs.
            JsonObject locks = checkNamed(report, "file locks");
            assertThat(locks.get("required").getAsBoolean()).isFalse();
            assertThat(locks.get("detail").getAsString()).contains(locks.get("ok").getAsBoolean() ? "overlays" : "flock");
            assertThat(report.getAsJsonObject("limits").get("processes").getAsInt()).isPositive();
            // Which isolation jobs get: a uid of each slot's own under a root node; the node's, named with its remedy, otherwise.
            boolean root = dev.rhizome.node.job.JobDirs.myUid() == 0;
            assertThat(report.get("job_uid").getAsString()).isEqualTo(root ? "own" : "shared");
            JsonObject jobUser = checkNamed(report, "job user");
            assertThat(jobUser.get("detail").getAsString()).startsWith(root ? "own" : "shared");
            if (!root) {
                assertThat(jobUser.get("fix").getAsString()).contains("run the node as root");
            }
            assertThat(report.get("slots").getAsInt()).isEqualTo(2);
            JsonObject each = report.getAsJsonObject("each_slot");
            JsonObject whole = report.getAsJsonObject("node_wide");
            assertThat(whole.get("memory_bytes").getAsLong()).isEqualTo(report.getAsJsonObject("limits").get("memory_bytes").getAsLong());
            assertThat(each.get("memory_bytes").getAsLong()).isEqualTo(Math.max(256L << 20, whole.get("memory_bytes").getAsLong() / 2));
            assertThat(each.get("max_pending_signals").getAsInt()).isEqualTo(whole.get("max_pending_signals").getAsInt() / 2);
            assertThat(each.get("memory_mappings").getAsInt()).isEqualTo(whole.get("memory_mappings").getAsInt() / 2);
            assertThat(each.get("disk_bytes").getAsLong()).isPositive().isLessThanOrEqualTo(whole.get("disk_bytes").getAsLong());
        } else {
            assertThat(report.get("why_not").getAsString()).isNotBlank();
        }
    }

    /**
     * A node whose reads of bundle files block on its disk serves peers less or nothing, and no asker
     * blames it (each is told BUSY): the doctor asks the node running on the data directory how many of
     * its readers are blocked, and a directory no node runs on has no such check. `node status` gives the count too.
     */
    @Test
    void doctorAsksTheRunningNodeWhetherItsBundleReadsAreBlocked() throws Exception {
        CliRun idle = CliRun.of("node", "doctor", "--json", "--data-dir", dir.resolve("none").toString());
        assertThat(idle.json().get("serving").isJsonNull()).as(idle.out()).isTrue();
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
                NodeDaemon node = TestNetwork.node(NodeConfig.defaults(dir.resolve("node"), c.url()))) {
            CliRun doctor = CliRun.of("node", "doctor", "--json", "--data-dir", dir.resolve("node").toString());
            JsonObject serving = doctor.json().getAsJsonObject("serving");
            assertThat(serving).as(doctor.out() + doctor.err()).isNotNull();
            assertThat(serving.get("ok").getAsBoolean()).isTrue();
            assertThat(serving.get("bundle_readers_blocked").getAsInt()).isZero();
            assertThat(serving.get("fix").isJsonNull()).isTrue();
            CliRun text = CliRun.of("node", "doctor", "--data-dir", dir.resolve("node").toString());
            assertThat(text.out()).contains("serving peers");
            CliRun status = CliRun.of("node", "status", "--json", "--data-dir", dir.resolve("node").toString());
            assertThat(status.json().getAsJsonObject("peers").get("bundle_readers_blocked").getAsInt()).isZero();
        }
    }

    /**
     * `rhizome node` refuses a data directory under what every job sees (its key would be theirs to
     * read); doctor says so first, by any path, in both forms, and fails.
     */
    @Test
    void aDataDirectoryEveryJobWouldSeeFailsTheDoctorAndSaysWhere() throws Exception {
        Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("share"), Path.of("/usr/share"));
        Path data = link.resolve("rhizome-doctor-" + ProcessHandle.current().pid());
        Process p = new ProcessBuilder(TestNetwork.launcher("node", "doctor", "--json", "--data-dir", data.toString(),
                "--gpus", "none", "--cpu-jobs", "1")).start();
        String out = new String(p.getInputStream().readAllBytes());

        assertThat(p.waitFor()).as(out).isEqualTo(1);
        JsonObject dataDir = JsonParser.parseString(out.strip().lines().reduce((a, b) -> b).orElseThrow()).getAsJsonObject()
                .getAsJsonObject("data_dir");
        assertThat(dataDir.get("ok").getAsBoolean()).isFalse();
        assertThat(dataDir.get("shown_to_every_job").getAsString()).isEqualTo("/usr");
        assertThat(dataDir.get("detail").getAsString()).contains("under /usr, which every job sees");
        assertThat(dataDir.get("fix").getAsString()).contains("--data-dir outside it");

        Path underUsr = Path.of("/usr/local/rhizome-doctor-" + ProcessHandle.current().pid());
        p = new ProcessBuilder(TestNetwork.launcher("node", "doctor", "--data-dir", underUsr.toString(), "--gpus", "none",
                "--cpu-jobs", "1")).start();
        out = new String(p.getInputStream().readAllBytes());

        assertThat(p.waitFor()).as(out).isEqualTo(1);
        assertThat(out).contains("FAIL data directory", underUsr + ": under /usr, which every job sees: its key and logs",
                "fix: pass a --data-dir outside it");
        assertThat(underUsr).doesNotExist();
        assertThat(data).doesNotExist();
    }

    @Test
    void noSandboxIsExplainedInTheHelp() throws Exception {
        Process p = new ProcessBuilder(TestNetwork.launcher("node", "--help")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());

        assertThat(p.waitFor()).isZero();
        assertThat(out).contains("--no-sandbox", "doctor");
    }

    private static JsonObject checkNamed(JsonObject report, String name) {
        for (var c : report.getAsJsonArray("checks")) {
            if (c.getAsJsonObject().get("name").getAsString().equals(name)) {
                return c.getAsJsonObject();
            }
        }
        throw new AssertionError("no check named " + name + " in " + report);
    }

    @Test
    void aGpuTheMachineLacksIsRefusedAsThatOptionAsTheNodeRefusesIt() {
        // doctor said it as the unforeseen-failure line (exit 1, "RHIZOME_DEBUG=1 prints the stack trace")
        for (String command : List.of("node doctor", "node")) {
            List<String> args = new ArrayList<>(List.of(command.split(" ")));
            args.addAll(List.of("--json", "--gpus", "97", "--data-dir", dir.resolve("g").toString(),
                    "--coordinator", "http://127.0.0.1:1"));
            if (command.equals("node doctor")) {
                args.removeAll(List.of("--coordinator", "http://127.0.0.1:1"));
            }
            JsonObject o = CliRun.of(args.toArray(String[]::new)).failure(dev.rhizome.client.cli.ExitCodes.USAGE, "usage");
            assertThat(o.get("option").getAsString()).as(command).isEqualTo("--gpus");
            assertThat(o.get("message").getAsString()).as(command).contains("no GPU with index [97]")
                    .doesNotContain("[]");  // "(it has [])" on a machine with none
            assertThat(o.get("hint").getAsString()).as(command).contains("nvidia-smi -L");
        }
    }
}
