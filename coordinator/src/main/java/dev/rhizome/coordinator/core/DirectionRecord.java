package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.Direction;
import java.util.OptionalDouble;

/** An open direction with its frontier and the metric its base commit measured. */
public record DirectionRecord(Direction direction, Frontier frontier, OptionalDouble baselineMetric) {
    public String name() {
        return direction.getName();
    }
}
