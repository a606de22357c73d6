package dev.rhizome.node.work;

import dev.rhizome.node.hardware.Gpu;
import dev.rhizome.node.job.JobGpu;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The environment that pins a job to its slot's device. A GPU slot's job sees only its GPU
 * (CUDA_VISIBLE_DEVICES by UUID, which CUDA's own device order cannot mix up) and learns its
 * nvidia-smi index in RHIZOME_GPU_INDEX and its PCI bus id in RHIZOME_GPU_BUS_ID (when known),
 * which the sandbox reads to pass that one device through ({@link JobGpu}); a CPU slot's job sees
 * no GPU at all.
 */
public final class SlotEnv {
    public static final String CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES";
    public static final String GPU_INDEX = JobGpu.INDEX_ENV;
    public static final String GPU_BUS_ID = JobGpu.BUS_ID_ENV;

    private SlotEnv() {
    }

    public static Map<String, String> of(Optional<Gpu> gpu) {
        if (gpu.isEmpty()) {
            return Map.of(CUDA_VISIBLE_DEVICES, "");
        }
        Gpu g = gpu.get();
        Map<String, String> env = new HashMap<>(Map.of(CUDA_VISIBLE_DEVICES, g.cudaVisibleDevice(),
                GPU_INDEX, Integer.toString(g.index())));
        if (!g.pciBusId().isEmpty()) {
            env.put(GPU_BUS_ID, g.pciBusId());
        }
        return Map.copyOf(env);
    }

    /** The GPU index a job's environment pins it to, if any. */
    public static Optional<Integer> gpuIndex(Map<String, String> env) {
        String index = env.get(GPU_INDEX);
        return index == null ? Optional.empty() : Optional.of(Integer.parseInt(index));
    }

    static Map<String, String> merge(Map<String, String> budget, Map<String, String> slot) {
        Map<String, String> env = new HashMap<>(budget);
        env.putAll(slot);
        return env;
    }
}
