package dev.rhizome.node.hardware;

import java.util.List;

/**
 * What this machine offers, and the class it belongs to: results are compared and replicated
 * only within one hardware class, since a wall-clock budget buys different work on each.
 */
public record Hardware(String cpuModel, int cores, List<Gpu> gpus, String hardwareClass) {
    public Hardware {
        gpus = List.copyOf(gpus);
    }
}
