package dev.rhizome.node.job;

import java.util.List;
import java.util.Optional;

/**
 * Where one slot's CPUs come from: its place in the division of the node's CPUs ({@link CpuShare#divide(List)}),
 * made anew at each launch of the CPUs online then. A share computed once at the node's start named a CPU a
 * volunteer later took offline (to save power, or a hot-unplugged socket of a server), and {@code taskset} refused
 * a share with none online: every job of that slot failed to start until the node restarted. Now a CPU going
 * offline moves the slots' boundaries, and one coming back rejoins at the next launch.
 *
 * @param within  the CPUs divided: the node's at its start (or a share given outright, {@link #of})
 * @param weights each slot's weight, in the slots' order ({@link CpuShare#GPU_SLOT_WEIGHT} a GPU slot's, 1 a CPU slot's)
 * @param index   this slot's place among them
 */
public record SlotCpus(CpuShare within, List<Integer> weights, int index) {
    public SlotCpus {
        weights = List.copyOf(weights);
        if (index < 0 || index >= weights.size()) {
            throw new IllegalArgumentException("slot " + index + " is not one of " + weights.size());
        }
        within.divide(weights);
    }

    /** A share given outright: its CPUs online at each launch, or all of it where none is. */
    public static SlotCpus of(CpuShare share) {
        return new SlotCpus(share, List.of(1), 0);
    }

    /** The share as divided at the node's start, every CPU online: what the node's status shows. */
    public CpuShare planned() {
        return within.divide(weights).get(index);
    }

    /** The share for a launch now: {@link #at} of the node's CPUs and those online, as the kernel lists them now. */
    public CpuShare now() {
        return at(CpuShare.ofThisProcess(), CpuShare.online());
    }

    /**
     * The share for a launch where the node may use {@code node}'s CPUs and {@code online}'s are online (either
     * empty where unread): {@link #within}'s CPUs the node may still use and that are online, divided by the
     * weights. Where none of {@link #within} is both, the division is of the node's CPUs online, and where the
     * lists cannot be read of what is known: {@code taskset} is never handed a share whose CPUs are all offline
     * while one the node may use is online, and the job starts.
     */
    public CpuShare at(Optional<CpuShare> node, Optional<CpuShare> online) {
        CpuShare allowed = node.orElse(within);
        CpuShare ours = allowed.intersect(within).orElse(allowed);
        CpuShare usable = online.flatMap(ours::intersect)
                .or(() -> online.flatMap(allowed::intersect))
                .orElse(ours);
        return usable.divide(weights).get(index);
    }
}
