package dev.rhizome.coordinator.core;

/** How busy a direction is, for deciding whether it needs more proposals. */
public record DirectionLoad(String direction, String seed, int pendingEvaluations, int leasedExplorations) {
}
