package dev.rhizome.node.job;

import java.util.Map;
import java.util.Optional;

/**
 * The one GPU a job may use, as its slot names it in the job's environment; a job whose
 * environment names none is a CPU job and is given no GPU device at all.
 *
 * @param index  nvidia-smi's index of the GPU
 * @param busId  nvidia-smi's {@code pci.bus_id}, empty when the probe did not learn it
 */
public record JobGpu(int index, String busId) {
    /** The slot's GPU index (nvidia-smi's). */
    public static final String INDEX_ENV = "RHIZOME_GPU_INDEX";
    /** The slot's GPU's PCI bus id (nvidia-smi's), when known. */
    public static final String BUS_ID_ENV = "RHIZOME_GPU_BUS_ID";

    public JobGpu {
        if (index < 0) {
            throw new IllegalArgumentException("a GPU index is at least 0, got " + index);
        }
        busId = busId == null ? "" : busId;
    }

    /** The GPU a job's environment pins it to, if any; a malformed index is an error, not "no GPU". */
    public static Optional<JobGpu> of(Map<String, String> env) {
        String index = env.get(INDEX_ENV);
        if (index == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new JobGpu(Integer.parseInt(index.strip()), env.getOrDefault(BUS_ID_ENV, "").strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(INDEX_ENV + " must be a GPU index, got '" + index + "'", e);
        }
    }
}
