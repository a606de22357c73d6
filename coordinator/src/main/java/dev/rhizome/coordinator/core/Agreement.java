package dev.rhizome.coordinator.core;

/** The metric that a quorum of replicas in one hardware class agreed on. */
public record Agreement(String hardwareClass, double metric, int replicas) {
}
