package dev.rhizome.node.hardware;

/** One GPU as the driver reports it. memoryMiB is 0 when the driver does not say. */
public record Gpu(String name, long memoryMiB, String driverVersion) {
}
