package dev.rhizome.node.work;

import dev.rhizome.node.hardware.Gpu;
import dev.rhizome.node.job.CpuShare;
import java.util.Map;
import java.util.Optional;

/**
 * One place a job runs: a GPU (one job at a time on it) or one of the CPU jobs the volunteer
 * allows. Each slot claims work for its own hardware class. {@code cpus}: the CPUs its jobs are held to (its share
 * of the node's, {@link CpuShare#divide}), empty where they may run on every CPU the node may use.
 */
public record Slot(String name, String hardwareClass, Optional<Gpu> gpu, Optional<CpuShare> cpus) {

    public Slot(String name, String hardwareClass, Optional<Gpu> gpu) {
        this(name, hardwareClass, gpu, Optional.empty());
    }

    /** This slot, its jobs held to {@code held} (empty: every CPU the node may use). */
    public Slot withCpus(Optional<CpuShare> held) {
        return new Slot(name, hardwareClass, gpu, held);
    }

    public Map<String, String> env() {
        return SlotEnv.of(gpu);
    }
}
