package dev.rhizome.node.job;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.util.List;
import java.util.Optional;

/**
 * Starts one process of a job under a {@link Confinement}. The seam between what a job runs (a
 * seed's command, an evaluation harness and the model it questions) and how this node keeps it
 * away from everything else. Destroying the returned process must end everything it started.
 */
public interface ProcessLauncher {

    /**
     * A launcher for one of {@code ways} jobs that run at once (a node's slots; a harness and the
     * model it questions), whose processes each take a {@code ways}-th of what this one's may take
     * of the node's budget, so that all of them together take no more than one of this one's. A
     * launcher that limits nothing gives itself.
     */
    default ProcessLauncher shared(int ways) {
        if (ways < 1) {
            throw new IllegalArgumentException("a launcher is shared by at least one job, not " + ways);
        }
        return this;
    }

    /**
     * The launcher of slot {@code slot}'s jobs (0-based): where jobs run as uids of their own, that
     * slot's ({@link JobUids}), so that no two slots' jobs share what the kernel counts per uid. A
     * launcher whose jobs have no uid of their own gives itself.
     *
     * @throws IOException when no uid is left for the slot: every one is held by another node's slots
     */
    default ProcessLauncher forSlot(int slot) throws IOException {
        return this;
    }

    /**
     * This launcher with its jobs run on {@code share}'s CPUs alone (a slot's share of the node's), where it can hold
     * them there; a launcher that cannot (no sandbox keeps a job from widening its affinity) gives itself.
     */
    default ProcessLauncher pinnedTo(CpuShare share) {
        return this;
    }

    /**
     * This launcher with its jobs run on a slot's share of the node's CPUs, divided anew at each launch of those
     * online then ({@link SlotCpus}); a launcher that cannot hold them there gives itself.
     */
    default ProcessLauncher pinnedTo(SlotCpus place) {
        return this;
    }

    /** The CPUs this launcher's jobs are held to ({@link #pinnedTo}); empty for every CPU the node may use. */
    default Optional<CpuShare> cpus() {
        return Optional.empty();
    }

    Process start(List<String> command, Confinement confinement, Redirect stdin, Redirect stdout, Redirect stderr)
            throws IOException;

    /**
     * Where the node reads its jobs' descriptors (held files, deleted ones): its own look at
     * {@code /proc}, or the helper in the jobs' user namespace where they run as subordinate uids.
     */
    default DescriptorSource descriptors() {
        return DescriptorSource.onThisMachine();
    }

    /** How the node walks its jobs' checkouts while they run ({@link WorkDirBudget}): itself, or through the namespace's helper. */
    default WorkDirBudget.TreeUsage treeUsage() {
        return WorkDirBudget.LOCAL;
    }
}
