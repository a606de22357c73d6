package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * How this machine sandboxes jobs, decided once by {@link SandboxProbe}: the tools, whose uid a
 * job runs as, its limits, and which of them the kernel enforces how.
 *
 * @param bwrap        the bubblewrap binary
 * @param prlimit      util-linux prlimit, run inside the sandbox to set the job's rlimits
 * @param setpriv      util-linux setpriv; used only with {@code jobUid}
 * @param jobUid       when the node runs as root: the unprivileged uid jobs run as, so that no job is
 *                     root on the host and RLIMIT_NPROC applies (the kernel exempts root); one of
 *                     {@link JobUids}' (slot 0's, until a slot's launcher takes the one it holds,
 *                     {@link JobUidLeases}, or {@link #forSlot} names one), whose group is
 *                     {@link JobUids#gidFor}
 * @param limits       what a job may use
 * @param memory       how the memory limit is enforced
 * @param gpus         this machine's GPU devices; each GPU job is given its own GPU's only, a CPU job none
 * @param overlays     whether the directories every job sees read-only are each job's own overlay
 *                     ({@link SharedTrees}): bubblewrap 0.11's {@code --ro-overlay}, tried by the probe
 */
public record SandboxPlan(Path bwrap, Path prlimit, Path setpriv, OptionalInt jobUid, SandboxLimits limits,
        MemoryLimit memory, GpuPassthrough gpus, boolean overlays) {

    /** How the memory limit reaches the kernel. */
    public enum MemoryLimit {
        /** memory.max of the job's own cgroup v2 (the whole tree; swap off; OOM kills the whole job). */
        CGROUP,
        /** RLIMIT_AS of each job process: bounds what each one maps, not the tree's sum. */
        ADDRESS_SPACE,
        /**
         * Not enforced for jobs given a GPU: the CUDA driver maps far more address space than memory.
         * A job given no GPU (a CPU slot's) gets RLIMIT_AS, as with {@link #ADDRESS_SPACE}.
         */
        NONE
    }

    public SandboxPlan {
        Objects.requireNonNull(bwrap, "bwrap");
        Objects.requireNonNull(prlimit, "prlimit");
        Objects.requireNonNull(jobUid, "jobUid");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(gpus, "gpus");
        if (jobUid.isPresent()) {
            Objects.requireNonNull(setpriv, "setpriv is needed to run jobs as uid " + jobUid.getAsInt());
        }
    }

    /** A plan whose shared directories are bound, not overlaid. */
    public SandboxPlan(Path bwrap, Path prlimit, Path setpriv, OptionalInt jobUid, SandboxLimits limits,
            MemoryLimit memory, GpuPassthrough gpus) {
        this(bwrap, prlimit, setpriv, jobUid, limits, memory, gpus, false);
    }

    /** The gid jobs run with: {@link JobUids#gidFor} the job's uid. */
    public OptionalInt jobGid() {
        return jobUid.isPresent() ? OptionalInt.of(JobUids.gidFor(jobUid.getAsInt())) : OptionalInt.empty();
    }

    /**
     * Whether jobs run as a uid of their own, apart from the node user's and every other slot's
     * (what the kernel counts per uid is then theirs alone), or share the node's.
     */
    public boolean ownUid() {
        return jobUid.isPresent() && JobUids.isJobUid(jobUid.getAsInt());
    }

    /** The plan of slot {@code slot}'s jobs: its own uid of {@link JobUids}' when jobs run as one. */
    public SandboxPlan forSlot(int slot) {
        return ownUid() ? new SandboxPlan(bwrap, prlimit, setpriv, OptionalInt.of(JobUids.uidOf(slot)), limits, memory, gpus,
                overlays)
                : this;
    }

    /** This plan with jobs run as {@code uid}, one of {@link JobUids}' (the uid a slot holds, {@link JobUidLeases}). */
    public SandboxPlan withJobUid(int uid) {
        if (!JobUids.isJobUid(uid)) {
            throw new IllegalArgumentException("uid " + uid + " is not one of the job uids (" + JobUids.describe() + ")");
        }
        return new SandboxPlan(bwrap, prlimit, setpriv, OptionalInt.of(uid), limits, memory, gpus, overlays);
    }

    /** One line for the node's log: whose uid, which limits, which GPUs. */
    public String summary() {
        return "bubblewrap, no network, uid " + (ownUid() ? "of its slot's own (" + JobUids.describe() + ")"
                : jobUid.isPresent() ? Integer.toString(jobUid.getAsInt()) : "of the node")
                + ", memory " + (limits.memoryBytes() >> 20) + " MiB (" + switch (memory) {
                    case CGROUP -> "cgroup v2";
                    case ADDRESS_SPACE -> "address space per process";
                    case NONE -> "not enforced for GPU jobs, address space per process for CPU jobs";
                } + "), " + limits.processes() + " tasks, /tmp " + (limits.tmpBytes() >> 20) + " MiB, "
                + limits.pendingSignals() + " real-time signals, " + (gpus.present() ? gpus.gpuCount() + " GPU(s)" : "no GPU")
                + (overlays ? ", system directories overlaid per job" : "");
    }

    public SandboxPlan withLimits(SandboxLimits value) {
        return new SandboxPlan(bwrap, prlimit, setpriv, jobUid, value, memory, gpus, overlays);
    }

    public SandboxPlan withOverlays(boolean value) {
        return new SandboxPlan(bwrap, prlimit, setpriv, jobUid, limits, memory, gpus, value);
    }
}
