package dev.rhizome.node.hardware;

/**
 * One GPU as the driver reports it. memoryMiB is 0 when the driver does not say; uuid is empty
 * when it does not say either. index is nvidia-smi's (PCI bus order).
 */
public record Gpu(int index, String name, long memoryMiB, String uuid, String driverVersion) {

    /** The class a job on this GPU alone runs in, e.g. {@code gpu:nvidia-h100-80gb}. */
    public String hardwareClass() {
        return GpuClasses.of(name, memoryMiB);
    }

    /**
     * What CUDA_VISIBLE_DEVICES names this GPU by: its UUID when known, since CUDA's own device
     * order (fastest first) need not be nvidia-smi's index order; the index otherwise.
     */
    public String cudaVisibleDevice() {
        return uuid.isEmpty() ? Integer.toString(index) : uuid;
    }
}
