package dev.rhizome.node.work;

import dev.rhizome.node.hardware.Gpu;
import java.util.Map;
import java.util.Optional;

/**
 * One place a job runs: a GPU (one job at a time on it) or one of the CPU jobs the volunteer
 * allows. Each slot claims work for its own hardware class.
 */
public record Slot(String name, String hardwareClass, Optional<Gpu> gpu) {

    public Map<String, String> env() {
        return SlotEnv.of(gpu);
    }
}
