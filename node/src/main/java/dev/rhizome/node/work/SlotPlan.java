package dev.rhizome.node.work;

import dev.rhizome.node.hardware.Gpu;
import dev.rhizome.node.hardware.Hardware;
import dev.rhizome.node.hardware.HardwareProbe;
import dev.rhizome.node.prefs.NodePreferences;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The slots a machine offers under the volunteer's preferences: chosen GPUs first, then CPU jobs.
 * None at all (no GPU chosen and {@code cpu-jobs} 0) is a serve-only node: a volunteer who only
 * seeds bundles to peers, and runs no job.
 */
public final class SlotPlan {
    private SlotPlan() {
    }

    /** A {@code gpus} preference naming a GPU this machine does not have. */
    public static final class NoSuchGpu extends IllegalArgumentException {
        NoSuchGpu(String message) {
            super(message);
        }
    }

    public static List<Slot> of(Hardware hardware, NodePreferences prefs) {
        List<Slot> slots = new ArrayList<>();
        if (!prefs.noGpus()) {
            Optional<Set<Integer>> chosen = prefs.gpuSelection();
            if (chosen.isPresent()) {
                Set<Integer> missing = new TreeSet<>(chosen.get());
                hardware.gpus().forEach(g -> missing.remove(g.index()));
                if (!missing.isEmpty()) {
                    // "(it has [])" on a machine without one read as a fault of the probe's
                    throw new NoSuchGpu("gpus: no GPU with index " + missing + " on this machine (" + (hardware.gpus()
                            .isEmpty() ? "nvidia-smi finds no GPU here: --gpus none runs CPU jobs only"
                            : "its GPUs' indices are " + hardware.gpus().stream().map(g -> Integer.toString(g.index()))
                            .collect(Collectors.joining(", "))) + ")");
                }
            }
            for (Gpu gpu : hardware.gpus()) {
                if (chosen.isEmpty() || chosen.get().contains(gpu.index())) {
                    slots.add(new Slot("gpu" + gpu.index(), gpu.hardwareClass(), Optional.of(gpu)));
                }
            }
        }
        int cpuJobs = prefs.cpuJobs(slots.size());
        for (int i = 0; i < cpuJobs; i++) {
            slots.add(new Slot("cpu" + i, HardwareProbe.cpuClass(hardware.cpuModel()), Optional.empty()));
        }
        return List.copyOf(slots);
    }
}
