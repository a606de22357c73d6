package dev.rhizome.client.commands;

import com.google.gson.JsonObject;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.job.JobBudget;
import dev.rhizome.node.job.SandboxPlan;
import dev.rhizome.node.prefs.NodePreferences;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
     * How many slots `rhizome node` would run here with {@code args} ({@code --gpus}, {@code --cpu-jobs})
     * over the data directory's preferences file: the node's own merge, so a value it would refuse is
     * refused here too, named.
     */
    static int slotsOf(Path dataDir, List<String> args) throws IOException {
        List<String> all = new ArrayList<>(List.of("--data-dir", dataDir.toString()));
        all.addAll(args);
        NodePreferences p = NodeCommand.withFile(new NodeLayout(dataDir).preferences(), all).preferences();
        return NodeCommand.slots(p);
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
                + " files in memory, " + mib(budget.socketBytes()) + " MiB queued in sockets" + disk.map(d -> ", disk " + mib(d) + " MiB now").orElse("");
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
        o.addProperty("socket_bytes", budget.socketBytes());
        disk.ifPresent(d -> o.addProperty("disk_bytes", d));
        return o;
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
