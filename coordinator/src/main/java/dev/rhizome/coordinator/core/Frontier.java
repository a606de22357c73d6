package dev.rhizome.coordinator.core;

import java.util.OptionalDouble;

/**
 * A direction's best adopted commit and what it measured. The metric is only known once the
 * commit has been run, and it belongs to one hardware class: later candidates are compared in it.
 */
public record Frontier(String commit, OptionalDouble metric, String hardwareClass) {
    public static Frontier unmeasured(String commit) {
        return new Frontier(commit, OptionalDouble.empty(), "");
    }

    public boolean isMeasured() {
        return metric.isPresent();
    }
}
