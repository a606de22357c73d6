package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.BadValue;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.hardware.HardwareProbe;
import dev.rhizome.node.job.JobBudget;
import dev.rhizome.node.job.SandboxPlan;
import dev.rhizome.node.prefs.NodePreferences;
import dev.rhizome.node.work.SlotPlan;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * What `rhizome node doctor` says each slot's job has: the node's budget divided among the slots
 * `rhizome node` would run with the same --gpus and --cpu-jobs (or its preferences file's), since
 * the slots' jobs run at once and divide it, not one job alone's whole.
 */
record SlotBudgets(int slots, JobBudget each, JobBudget whole, Optional<Long> diskEach, Optional<Long> diskWhole) {

    static SlotBudgets of(SandboxPlan whole, int slots) {
        JobBudget each = JobBudget.forSlots(whole, slots);
        JobBudget alone = JobBudget.forSlots(whole, 1);
        Path workRoot = Path.of(System.getProperty("java.io.tmpdir"));
        return new SlotBudgets(slots, each, alone, disk(each, workRoot), disk(alone, workRoot));
    }

    /**
     * How many slots a node with these preferences has here: {@code gpus} and {@code cpuJobs} as given
     * to doctor, else as the data directory's preferences file sets them, else `rhizome node`'s defaults.
     */
    static int slotsOf(Path dataDir, String gpus, Integer cpuJobs) {
        Properties file = new Properties();
        Path prefs = new NodeLayout(dataDir).preferences();
        if (Files.isRegularFile(prefs)) {
            try (Reader in = Files.newBufferedReader(prefs)) {
                file.load(in);
            } catch (IOException | IllegalArgumentException e) {
                // unreadable: `rhizome node` says so; doctor counts the defaults' slots
            }
        }
        String gpuValue = gpus != null ? gpus : file.getProperty("gpus", "all").strip();
        int cpu = cpuJobs != null ? cpuJobs : parseCpuJobs(file.getProperty("cpu-jobs"));
        Set<Integer> chosen = gpuIndices(gpuValue);
        NodePreferences defaults = NodePreferences.defaults();
        NodePreferences p = new NodePreferences(chosen, gpuValue.equals("none"), cpu, defaults.idleOnly(),
                defaults.idleMinutes(), defaults.idleMaxLoad(), defaults.runHours(), defaults.maxDownloadKBps(),
                defaults.bundleCacheMb(), defaults.workMb(), defaults.prefetch(), defaults.repoMb());
        return SlotPlan.of(HardwareProbe.probe(), p).size();
    }

    private static int parseCpuJobs(String value) {
        if (value == null) {
            return -1;
        }
        try {
            return Math.max(-1, Integer.parseInt(value.strip()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Set<Integer> gpuIndices(String value) {
        Set<Integer> indices = new HashSet<>();
        if (value.equals("all") || value.equals("none")) {
            return indices;
        }
        for (String part : value.split(",")) {
            try {
                indices.add(Integer.parseInt(part.strip()));
            } catch (NumberFormatException e) {
                throw BadValue.of("--gpus", value, "all, none or GPU indices like 0,2", "");
            }
        }
        return indices;
    }

    private static Optional<Long> disk(JobBudget budget, Path workRoot) {
        try {
            return Optional.of(budget.diskBytesAt(workRoot));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** One line: what a job of {@code budget} may take. */
    static String describe(JobBudget budget, Optional<Long> disk) {
        return "memory " + mib(budget.limits().memoryBytes()) + " MiB, " + budget.limits().processes() + " tasks, /tmp "
                + mib(budget.limits().tmpBytes()) + " MiB, " + budget.limits().pendingSignals()
                + " real-time signals (stopped past " + budget.maxPendingSignals() + " pending), "
                + budget.mappings() + " memory mappings, " + budget.pipes() + " pipes, " + budget.epollWatches()
                + " epoll watches, " + budget.fileLocks() + " file locks, " + budget.memoryFiles()
                + " files in memory" + disk.map(d -> ", disk " + mib(d) + " MiB now").orElse("");
    }

    static JsonObject json(JobBudget budget, Optional<Long> disk) {
        JsonObject o = new JsonObject();
        o.addProperty("memory_bytes", budget.limits().memoryBytes());
        o.addProperty("processes", budget.limits().processes());
        o.addProperty("tmp_bytes", budget.limits().tmpBytes());
        o.addProperty("pending_signals", budget.limits().pendingSignals());
        o.addProperty("max_pending_signals", budget.maxPendingSignals());
        o.addProperty("memory_mappings", budget.mappings());
        o.addProperty("pipes", budget.pipes());
        o.addProperty("epoll_watches", budget.epollWatches());
        o.addProperty("file_locks", budget.fileLocks());
        o.addProperty("memory_files", budget.memoryFiles());
        disk.ifPresent(d -> o.addProperty("disk_bytes", d));
        return o;
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
