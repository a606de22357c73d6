package dev.rhizome.node.hardware;

/**
 * One GPU as the driver reports it. memoryMiB is 0 when the driver does not say; uuid is empty
 * when it does not say either. index is nvidia-smi's (PCI bus order). pciBusId is nvidia-smi's
 * {@code pci.bus_id} (e.g. {@code 00000000:17:00.0}), empty when it did not say: the sandbox
 * finds the GPU's device node by it, since the driver's minor number ({@code /dev/nvidiaN}) need
 * not be nvidia-smi's index.
 */
public record Gpu(int index, String name, long memoryMiB, String uuid, String driverVersion, String pciBusId) {

    public Gpu {
        pciBusId = pciBusId == null ? "" : pciBusId;
    }

    /** A GPU whose bus id is not known. */
    public Gpu(int index, String name, long memoryMiB, String uuid, String driverVersion) {
        this(index, name, memoryMiB, uuid, driverVersion, "");
    }

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
