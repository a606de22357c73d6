package dev.rhizome.node.work;

import dev.rhizome.node.hardware.Gpu;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The environment that pins a job to its slot's device. A GPU slot's job sees only its GPU
 * (CUDA_VISIBLE_DEVICES by UUID, which CUDA's own device order cannot mix up) and learns its
 * nvidia-smi index in RHIZOME_GPU_INDEX, which a sandbox reads to pass that one device through;
 * a CPU slot's job sees no GPU at all.
 */
public final class SlotEnv {
    public static final String CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES";
    public static final String GPU_INDEX = "RHIZOME_GPU_INDEX";

    private SlotEnv() {
    }

    public static Map<String, String> of(Optional<Gpu> gpu) {
        return gpu.map(g -> Map.of(CUDA_VISIBLE_DEVICES, g.cudaVisibleDevice(), GPU_INDEX, Integer.toString(g.index())))
                .orElse(Map.of(CUDA_VISIBLE_DEVICES, ""));
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
