package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.Bounded;
import dev.rhizome.client.cli.DataDirOption;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.client.cli.Output;
import dev.rhizome.node.disk.DiskRoom;
import dev.rhizome.node.job.GpuPassthrough;
import dev.rhizome.node.job.HostView;
import dev.rhizome.node.job.SandboxPlan;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.job.SandboxReport;
import dev.rhizome.node.job.ShownDataDir;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(footerHeading = "%nExamples:%n", footer = {
            "  rhizome node doctor",
            "  rhizome node doctor --data-dir /srv/rhizome --cpu-jobs 2 --json"},
        name = "doctor", mixinStandardHelpOptions = true,
        description = {"Check whether this machine can sandbox jobs, and how: bubblewrap, user/pid/network namespaces,",
            "cgroup v2 delegation or the rlimit fallback, GPUs, and a trial sandboxed job; whether the file systems every",
            "job sees (/usr, /etc, the JDK) keep access times, which tell a job when this machine's programs ran; whether each",
            "job's /usr and JDK are overlays of its own (bubblewrap 0.11 or later), so that its file locks meet no other job's;",
            "and whether the node's",
            "data directory (--data-dir) is out of every job's sight (not under /usr, /etc's runtime files, the JDK",
            "or the GPU driver's libraries), can be written and has room for a unit; and what each slot's job may take",
            "(the node's slots, as --gpus and --cpu-jobs or the data directory's node.properties make them, divide",
            "the node's budget) and all of them together.",
            "When a node runs on the data directory: whether its reads of bundle files for peers are blocked on the disk.",
            "Exit status 0 when jobs can run sandboxed here and the data directory is usable (and a node running on it reads",
            "its bundles), 1 when not",
            "(each failed check says how to fix it)."})
public final class NodeDoctorCommand implements Callable<Integer> {
    @Mixin
    DataDirOption dataDir;

    @Option(names = "--json", description = "One JSON object: sandbox (the verdict), checks (name, ok, required, detail, fix), "
            + "limits (memory_bytes, memory_enforced_by, processes, tmp_bytes), job_uid (own: each slot's jobs run as a uid of their own; shared: as the node's, with the job user check's remedy), job_uids (the range, when own), "
            + "gpu_devices, gpu_library_dirs, why_not (when jobs cannot run sandboxed), data_dir (path, ok, detail, fix (null when ok), "
            + "and shown_to_every_job: the place every job sees read-only that holds it, where `rhizome node` refuses to keep "
            + "its key; null when none does); serving (null when no node runs on the data directory: ok, "
            + "bundle_readers_blocked (null when the node did not answer), detail, fix); "
            + "when jobs can run sandboxed, slots (how many run at once), each_slot (what each slot's job may take) and node_wide "
            + "(what all of them together may take), each with memory_bytes, processes, tmp_bytes, pending_signals, "
            + "max_pending_signals, memory_mappings, pipes, epoll_watches, file_locks, memory_files, disk_bytes.")
    boolean json;

    @Option(names = "--gpus", paramLabel = "all|none|I,J", converter = NodeValues.Gpus.class,
            description = "The GPUs `rhizome node` would run jobs on (default: the data directory's node.properties, else all).")
    String gpus;

    @Option(names = "--cpu-jobs", converter = Bounded.NonNegativeInt.class, paramLabel = "N",
            description = "The CPU jobs `rhizome node` would run at once (default: the data directory's node.properties, "
                    + "else 1 on a machine without GPUs, 0 with).")
    Integer cpuJobs;

    /**
     * Whether the node could keep its data here: out of every job's sight (as `rhizome node` refuses
     * otherwise), the directory (or where it would be made) writable, with room for a unit.
     *
     * @param shownToEveryJob the place every job sees that holds it, if any
     */
    record DataDirCheck(Path path, boolean ok, String detail, String fix, Optional<Path> shownToEveryJob) {
        DataDirCheck(Path path, boolean ok, String detail, String fix) {
            this(path, ok, detail, fix, Optional.empty());
        }

        /** @param gpus what the sandbox passes through to jobs: the driver's libraries are shown to every GPU job */
        static DataDirCheck of(Path dir, GpuPassthrough gpus, HostView host) {
            Optional<ShownDataDir> shown;
            try {
                shown = ShownDataDir.find(dir, gpus, host);
            } catch (IOException e) {
                return new DataDirCheck(dir, false, "cannot be resolved: " + e.getMessage(),
                        "pass a --data-dir this user can reach");
            }
            if (shown.isPresent()) {
                return new DataDirCheck(dir, false, shown.get().where(), ShownDataDir.FIX, Optional.of(shown.get().shown()));
            }
            Path existing = dir;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
                return new DataDirCheck(dir, false, (existing == null ? dir : existing) + " cannot be written",
                        "pass a --data-dir this user can write (or make this one writable)");
            }
            long free;
            try {
                free = Files.getFileStore(existing).getUsableSpace();
            } catch (IOException e) {
                free = -1;
            }
            String where = existing.equals(dir) ? "writable" : "to be made in " + existing;
            if (free >= 0 && free < DiskRoom.MIN_FREE_BYTES) {
                return new DataDirCheck(dir, false, where + ", but only " + (free >> 20) + " MiB free (a unit needs "
                        + (DiskRoom.MIN_FREE_BYTES >> 20) + " MiB)", "free disk space there, or pass a --data-dir on another disk");
            }
            return new DataDirCheck(dir, true, where + (free >= 0 ? ", " + (free >> 20) + " MiB free" : ""), "");
        }

        JsonObject json() {
            JsonObject o = new JsonObject();
            o.addProperty("path", path.toString());
            o.addProperty("ok", ok);
            o.addProperty("detail", detail);
            // Absent is null, never "" (an agent tests for null): no fix when it is usable, no place when none shows it.
            o.addProperty("fix", fix.isEmpty() ? null : fix);
            o.addProperty("shown_to_every_job", shownToEveryJob.map(Path::toString).orElse(null));
            return o;
        }
    }

    @Override
    public Integer call() throws IOException {
        List<String> given = new ArrayList<>();
        if (gpus != null) {
            given.addAll(List.of("--gpus", gpus));
        }
        if (cpuJobs != null) {
            given.addAll(List.of("--cpu-jobs", cpuJobs.toString()));
        }
        // before the probes: a node.properties `rhizome node` would refuse is refused here, named
        int slots = SlotBudgets.slotsOf(dataDir.path(), given);
        SandboxReport report = SandboxProbe.probe();
        // Without a plan (no sandbox here yet), the GPUs the sandbox would pass through once it runs.
        GpuPassthrough passedThrough = report.plan().map(SandboxPlan::gpus)
                .orElseGet(() -> GpuPassthrough.discover(HostView.real()));
        DataDirCheck data = DataDirCheck.of(dataDir.path(), passedThrough, HostView.real());
        Optional<ServingCheck> serving = ServingCheck.of(dataDir.path());
        // a serve-only node (no slot) runs no job: there is no budget to divide
        Optional<SlotBudgets> budgets = slots == 0 ? Optional.empty() : report.plan().map(plan -> SlotBudgets.of(plan, slots));
        Output out = new Output(System.out);
        if (json) {
            JsonObject o = report.toJson();
            o.add("data_dir", data.json());
            o.add("serving", serving.map(ServingCheck::json).orElse(null));
            budgets.ifPresent(b -> {
                o.addProperty("slots", b.slots());
                o.add("each_slot", SlotBudgets.json(b.each(), b.diskEach()));
                o.add("node_wide", SlotBudgets.json(b.whole(), b.diskWhole()));
            });
            if (slots == 0) {
                o.addProperty("slots", 0);
            }
            out.json(o);
        } else {
            for (SandboxReport.Check c : report.checks()) {
                String mark = c.ok() ? "ok  " : c.required() ? "FAIL" : "--  ";
                out.line(String.format("%s %-17s %s", mark, c.name(), c.detail()));
                if (!c.ok() && !c.fix().isEmpty()) {
                    out.line(String.format("     %-17s fix: %s", "", c.fix()));
                }
            }
            out.line(String.format("%s %-17s %s: %s", data.ok() ? "ok  " : "FAIL", "data directory", data.path(), data.detail()));
            if (!data.ok()) {
                out.line(String.format("     %-17s fix: %s", "", data.fix()));
            }
            serving.ifPresent(c -> {
                out.line(String.format("%s %-17s %s", c.ok() ? "ok  " : "FAIL", "serving peers", c.detail()));
                if (!c.ok()) {
                    out.line(String.format("     %-17s fix: %s", "", c.fix()));
                }
            });
            out.line(report.ok() ? "verdict: jobs run sandboxed here (" + report.plan().get().summary() + ")"
                    : "verdict: this machine cannot sandbox jobs; `rhizome node` will refuse to run them");
            budgets.ifPresent(b -> {
                out.line("each of " + b.slots() + " slots' jobs: " + SlotBudgets.describe(b.each(), b.diskEach()));
                out.line("all slots' jobs together: " + SlotBudgets.describe(b.whole(), b.diskWhole()));
            });
            if (slots == 0) {
                out.line("no slots (no GPU chosen, --cpu-jobs 0): a serve-only node, which runs no jobs and needs no "
                        + "sandbox; it serves the bundles it holds to peers");
            }
        }
        return (report.ok() || slots == 0) && data.ok() && serving.map(ServingCheck::ok).orElse(true) ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
