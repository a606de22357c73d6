package dev.rhizome.node.job;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Starts every job process in a bubblewrap sandbox built by {@link BwrapCommand} from a
 * {@link SandboxPlan} that {@link SandboxProbe} checked on this machine. Destroying the
 * returned process kills bubblewrap, which takes the job's whole PID namespace with it, and
 * the job's cgroup when there is one.
 */
public final class BwrapLauncher implements ProcessLauncher {
    /**
     * Every sandbox is started from this one thread, which lives as long as the JVM. bubblewrap's
     * --die-with-parent is the kernel's parent-death signal, and that fires when the thread that
     * started the process ends, not the process: a job started from a pool thread that retires
     * would be killed with it. When the node itself dies, this thread dies, and every job with it.
     */
    private static final ExecutorService SPAWNER = Executors
            .newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "sandbox-spawner");
                t.setDaemon(true);
                return t;
            });

    /** What one job of this launcher's may use: its share of {@link #whole}. */
    private final SandboxPlan plan;
    /** The plan as the probe made it, for one job alone. */
    private final SandboxPlan whole;
    private final Optional<CgroupV2> cgroup;
    private final HostView host;
    /** The node's own limits, which each share's tasks are sized from. */
    private final NodeLimits node;
    /** This launcher's jobs' share of the node's budget. */
    private final NodeShare share;
    private final JobPriority priority;
    /** The seccomp program and each start's files for bubblewrap, in a private directory. */
    private final SeccompPrograms inputs;
    /** The slot's uid this launcher's jobs run as, held against every other node's slots ({@link JobUidLeases}). */
    private final Optional<JobUidLeases.Lease> lease;
    /**
     * A node of an ordinary user's jobs' namespace and helper ({@link SubordinateJobs}), where it runs
     * them as subordinate uids of their own; empty where jobs run as the node's uid or (a root node's)
     * as {@link JobUids}'.
     */
    private final Optional<SubordinateJobs> subordinate;
    /** The id in {@link #subordinate}'s namespace this launcher's jobs run as, held for its slot ({@link #forSlot}). */
    private final Optional<SubordinateJobs.Slot> slot;
    /** Where this launcher's jobs' CPUs come from ({@link #pinnedTo}), divided at each launch; empty for every CPU the node may use. */
    private final Optional<SlotCpus> cpus;

    public BwrapLauncher(SandboxPlan plan, Optional<CgroupV2> cgroup, HostView host) {
        this(plan, cgroup, host, NodeLimits.own());
    }

    /** @param node the node's own limits, which the tasks of each share ({@link #shared}) are sized from */
    public BwrapLauncher(SandboxPlan plan, Optional<CgroupV2> cgroup, HostView host, NodeLimits node) {
        this(plan, cgroup, host, node, NodeShare.ALONE, SeccompPrograms.forThisMachine(), Optional.empty(),
                JobPriority.onThisMachine(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    private BwrapLauncher(SandboxPlan whole, Optional<CgroupV2> cgroup, HostView host, NodeLimits node,
            NodeShare share, SeccompPrograms inputs, Optional<JobUidLeases.Lease> lease, JobPriority priority,
            Optional<SubordinateJobs> subordinate, Optional<SubordinateJobs.Slot> slot, Optional<SlotCpus> cpus) {
        this.whole = Objects.requireNonNull(whole, "plan");
        this.node = Objects.requireNonNull(node, "node");
        this.share = share;
        this.plan = share.equals(NodeShare.ALONE) ? whole : whole.withLimits(whole.limits().sharedBy(share, node));
        this.cgroup = whole.memory() == SandboxPlan.MemoryLimit.CGROUP ? cgroup : Optional.empty();
        if (whole.memory() == SandboxPlan.MemoryLimit.CGROUP && this.cgroup.isEmpty()) {
            throw new IllegalArgumentException("the plan limits memory by cgroup but none is given");
        }
        this.host = Objects.requireNonNull(host, "host");
        this.inputs = inputs;
        this.lease = lease;
        this.priority = priority;
        this.subordinate = subordinate;
        this.slot = slot;
        this.cpus = cpus;
        if (subordinate.isPresent() && whole.jobUid().isPresent()) {
            throw new IllegalArgumentException("jobs run as a uid of JobUids' or as subordinate uids, not both");
        }
    }

    /**
     * This launcher with its jobs run as subordinate uids through {@code jobs}: each slot's
     * ({@link #forSlot}) as an id of its own there. A launcher not yet given a slot runs its jobs as
     * slot 0's, leased at its first start.
     */
    BwrapLauncher withSubordinateUids(SubordinateJobs jobs) {
        return new BwrapLauncher(whole, cgroup, host, node, share, inputs, lease, priority, Optional.of(jobs),
                Optional.empty(), cpus);
    }

    /** The jobs' namespace and helper this launcher's jobs run through, if any ({@link #withSubordinateUids}). */
    Optional<SubordinateJobs> subordinateJobs() {
        return subordinate;
    }

    /** Whether this launcher's jobs run as subordinate uids of the node's user ({@link #withSubordinateUids}). */
    public boolean subordinateUids() {
        return subordinate.isPresent();
    }

    /**
     * This launcher with jobs at the priority of the code that starts them, by the same route
     * ({@link JobPriority#atCallersPriority}): for the tests of the sandbox and the seeds, whose jobs
     * at a volunteer's job priority got next to nothing of a machine busy with builds. A node never
     * runs jobs so: only code that calls this does, and no flag or file a volunteer writes chooses
     * it (the kill tests' node processes ask through a test-only system property, as crash points do).
     */
    public BwrapLauncher atCallersPriority() {
        return new BwrapLauncher(whole, cgroup, host, node, share, inputs, lease, JobPriority.atCallersPriority(),
                subordinate, slot, cpus);
    }

    /**
     * A launcher whose jobs each take one share of this one's: its plan's memory, /tmp and tasks, and
     * what the node lets its jobs hold of what the kernel counts for its uid or in no limit (memory
     * mappings, pipes, epoll watches, file locks, files in memory), divided {@code ways} ways; the
     * tasks sized from the node's limits as for one of that many jobs at once
     * ({@link SandboxLimits#sharedBy}).
     */
    @Override
    public BwrapLauncher shared(int ways) {
        return new BwrapLauncher(whole, cgroup, host, node, share.times(ways), inputs, lease, priority, subordinate,
                slot, cpus);
    }

    /**
     * The launcher of slot {@code slot}'s jobs: the same share, and, where jobs have uids of their own
     * ({@link JobUids}), a uid it holds for as long as it is reachable: its slot's own when no other
     * node's slot holds that one, else the next free one ({@link JobUidLeases}).
     */
    @Override
    public BwrapLauncher forSlot(int slot) throws IOException {
        if (subordinate.isPresent()) {
            return new BwrapLauncher(whole, cgroup, host, node, share, inputs, lease, priority, subordinate,
                    Optional.of(subordinate.get().take(slot)), cpus);
        }
        if (!whole.ownUid()) {
            return this;
        }
        JobUidLeases.Lease held = JobUidLeases.forRootNodes().take(slot);
        return new BwrapLauncher(whole.withJobUid(held.uid()), cgroup, host, node, share, inputs, Optional.of(held),
                priority, Optional.empty(), Optional.empty(), cpus);
    }

    /**
     * This launcher with its jobs run on {@code share}'s CPUs alone, those of it online at each launch
     * ({@link SlotCpus#of}).
     */
    @Override
    public BwrapLauncher pinnedTo(CpuShare share) {
        return pinnedTo(SlotCpus.of(share));
    }

    /**
     * This launcher with its jobs run on a slot's share of the node's CPUs ({@link CpuShare#divide(List)}), divided
     * anew at each launch of those online then ({@link SlotCpus#now}): bubblewrap is started through {@code taskset},
     * once in the job's cgroup ({@link BwrapCommand#argv}), every process of the job inherits its affinity, and the
     * filter keeps any from widening it ({@code sched_setaffinity} answers done). Where this machine has no
     * {@code taskset} the jobs run on every CPU the node may use, and {@link #cpus} says none.
     */
    @Override
    public BwrapLauncher pinnedTo(SlotCpus place) {
        Optional<SlotCpus> pinned = CpuShare.TASKSET.isPresent() ? Optional.of(place) : Optional.empty();
        return new BwrapLauncher(whole, cgroup, host, node, this.share, inputs, lease, priority, subordinate, slot, pinned);
    }

    /** The share as divided at the node's start ({@link SlotCpus#planned}); each launch divides anew. */
    @Override
    public Optional<CpuShare> cpus() {
        return cpus.map(SlotCpus::planned);
    }

    /** Lets go of the slot's uid this launcher holds, if any ({@link #forSlot}); its jobs must have ended. */
    void releaseUid() {
        lease.ifPresent(JobUidLeases.Lease::close);
        slot.ifPresent(SubordinateJobs.Slot::close);
    }

    /** The id this launcher's jobs run as in the namespace of {@link #subordinate}, slot 0's taken for a launcher given none. */
    private synchronized SubordinateJobs.Slot subordinateSlot() throws IOException {
        if (slot.isPresent()) {
            return slot.get();
        }
        if (unslotted == null) {
            unslotted = subordinate.orElseThrow().take(0);
        }
        return unslotted;
    }

    /** Slot 0's id, taken by a launcher used without {@link #forSlot} (the probe's trial job, tests). */
    private SubordinateJobs.Slot unslotted;

    /** The seccomp program's file ({@link SeccompPrograms#program}). */
    Optional<Path> seccompFile() throws IOException {
        return inputs.program();
    }

    public SandboxPlan plan() {
        return plan;
    }

    /** Whether {@code dir}, as a node's data directory, would be shown to every job of this launcher's. */
    public Optional<ShownDataDir> shownToEveryJob(Path dir) throws IOException {
        return ShownDataDir.find(dir, plan.gpus(), host);
    }

    /** What each job of this launcher's may take: its share of the node's whole ({@link #shared}). */
    public JobBudget budget() {
        return JobBudget.of(plan.limits(), share);
    }

    @Override
    public Process start(List<String> command, Confinement confinement, Redirect stdin, Redirect stdout,
            Redirect stderr) throws IOException {
        if (plan.jobUid().isPresent()) {
            for (Path dir : confinement.handedOver()) {
                HandOver.toJob(dir, plan.jobUid().getAsInt(), plan.jobGid().getAsInt());
            }
        }
        Optional<SubordinateJobs.Slot> asJob = subordinate.isPresent() ? Optional.of(subordinateSlot()) : Optional.empty();
        if (asJob.isPresent()) {
            for (Path dir : confinement.handedOver()) {
                SubordinateOwnership.toJob(asJob.get().jobs().namespace(), dir, asJob.get().id());
            }
        }
        JobProcess.Ended giveBack = asJob.isEmpty() ? JobProcess.Ended.NOTHING : () -> {
            for (Path dir : confinement.handedOver()) {
                SubordinateOwnership.toNode(asJob.get().jobs().namespace(), dir);
            }
        };
        // Everything that can fail comes before the job's cgroup exists, so that a failure leaves none behind.
        boolean gpuJob = !plan.gpus().devicesFor(JobGpu.of(confinement.env())).isEmpty();
        Optional<Path> filter = seccompFile();
        List<Path> oneShot = new ArrayList<>();
        Optional<Path> shown = Optional.empty();
        Optional<CgroupV2.JobCgroup> jobCgroup = Optional.empty();
        List<String> argv;
        try {
            // Inside, the job has the uid and gid bubblewrap was started with.
            // Through the namespace: its id, and the jobs' group (a subordinate gid on the host), as inside.
            int uid = asJob.isPresent() ? asJob.get().id()
                    : plan.jobUid().isPresent() ? plan.jobUid().getAsInt() : JobDirs.myUid();
            int gid = asJob.isPresent() ? SubordinateJobs.JOBS_GID : plan.jobGid().isPresent() ? plan.jobGid().getAsInt() : JobDirs.myGid();
            Path passwd = stage(oneShot, "passwd-", BwrapCommand.passwd(uid, gid).getBytes(StandardCharsets.UTF_8));
            Path group = stage(oneShot, "group-", BwrapCommand.group(gid).getBytes(StandardCharsets.UTF_8));
            Path bootId = stage(oneShot, "boot-", BwrapCommand.bootId().getBytes(StandardCharsets.UTF_8));
            Path hosts = stage(oneShot, "hosts-", BwrapCommand.hosts().getBytes(StandardCharsets.UTF_8));
            Map<String, Path> procViews = new LinkedHashMap<>();
            Map<String, String> views = ProcViews.forJob(plan.limits().memoryBytes(), gpuJob);
            shown = Optional.of(inputs.shownDirectory());
            for (Map.Entry<String, String> view : views.entrySet()) {
                procViews.put(view.getKey(), SeccompPrograms.shown(shown.get(), "proc-",
                        view.getValue().getBytes(StandardCharsets.ISO_8859_1)));
            }
            // /etc's small files as copies of the job's own, and an empty layer for its overlays: inodes no other
            // job nor host process locks (SharedTrees). The launcher runs on the machine its view describes.
            for (Path etc : BwrapCommand.etcCopies(host)) {
                procViews.put(etc.toString(), SeccompPrograms.shown(shown.get(), "etc-", Files.readAllBytes(etc)));
            }
            Optional<Path> emptyLayer = plan.overlays() ? Optional.of(SeccompPrograms.emptyLayer(shown.get()))
                    : Optional.empty();
            // Read through --args: PID 1's command line inside is then "bwrap --args 8 -- prlimit ... <command>",
            // not every path it binds.
            List<String> options = BwrapCommand.options(plan, confinement, filter.isPresent(), host,
                    !priority.ownSession(), procViews, emptyLayer);
            if (plan.jobUid().isPresent() || asJob.isPresent()) {
                // bubblewrap opens each source as the job's uid: one it cannot reach is named here, not by bubblewrap.
                // A subordinate id is judged as the host's modes see it: the host uid and gid it maps to. (Java reads
                // an id past 2^31 as a negative int, as the cast gives it.)
                int hostUid = asJob.isPresent() ? (int) asJob.get().jobs().hostUid(uid) : uid;
                int hostGid = asJob.isPresent() ? (int) asJob.get().jobs().hostGid(gid) : gid;
                Optional<String> unreachable = JobReach.refusal(JobReach.bindSources(options), hostUid, hostGid);
                if (unreachable.isPresent()) {
                    throw new IOException(unreachable.get());
                }
            }
            Path arguments = stage(oneShot, "args-", BwrapCommand.argumentsFile(options));
            if (cgroup.isPresent()) {
                jobCgroup = Optional.of(cgroup.get().create(plan.limits()));
            }
            argv = priority.apply(BwrapCommand.argv(plan, command, confinement,
                    jobCgroup.map(CgroupV2.JobCgroup::procs),
                    new BwrapCommand.Inputs(filter, passwd, group, bootId, hosts, procViews, Optional.of(arguments)), host,
                    asJob.isPresent() ? asJob.get().enter() : List.of(),
                    cpus.map(c -> c.now().pinning(CpuShare.TASKSET.orElseThrow(), List.of())).orElse(List.of())), gpuJob);
        } catch (IOException | RuntimeException e) {
            deleteAll(oneShot);
            shown.ifPresent(inputs::removeShown);
            giveBackAfterFailure(giveBack);
            throw e;
        }
        // Both streams to one log: one pipe, so that they interleave as written, as in the file itself.
        boolean oneLog = LogPump.isFile(stdout) && LogPump.isFile(stderr) && stdout.file().equals(stderr.file());
        ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectInput(stdin)
                .redirectOutput(LogPump.viaPipe(stdout))
                .redirectError(LogPump.viaPipe(stderr))
                .redirectErrorStream(oneLog);
        builder.environment().clear(); // bubblewrap passes its own environment on to the job
        // Started from /, not the node's working directory: the shells before bubblewrap export it
        // as PWD, which bubblewrap passes on, and the job could read it in /proc/1/environ.
        builder.directory(new File("/"));
        builder.environment().putAll(BwrapCommand.environment(confinement));
        Process process;
        try {
            LogPump.prepare(stdout);
            LogPump.prepare(stderr);
            process = spawn(builder);
        } catch (IOException | RuntimeException e) {
            jobCgroup.ifPresent(CgroupV2.JobCgroup::killAndRemove);
            deleteAll(oneShot);
            shown.ifPresent(inputs::removeShown);
            giveBackAfterFailure(giveBack);
            throw e;
        }
        Optional<CgroupV2.JobCgroup> own = jobCgroup;
        Runnable killAll = () -> {
            process.destroyForcibly();
            own.ifPresent(CgroupV2.JobCgroup::killAndRemove);
        };
        List<Thread> pumps = new ArrayList<>();
        if (LogPump.isFile(stdout)) {
            pumps.add(LogPump.start("job stdout", process.getInputStream(), stdout));
        }
        if (LogPump.isFile(stderr) && !oneLog) {
            pumps.add(LogPump.start("job stderr", process.getErrorStream(), stderr));
        }
        Optional<Path> shownToJob = shown;
        process.onExit().thenRun(() -> {
            own.ifPresent(CgroupV2.JobCgroup::killAndRemove);
            deleteAll(oneShot);
            shownToJob.ifPresent(inputs::removeShown);
        });
        // A subordinate uid's descriptors are the helper's to read: the node's own look at its /proc/<pid>/fd is refused.
        // One look a second for both rules that read them and the runner's disk check (RecentLook).
        DescriptorSource fds = RecentLook.forJob(asJob.isPresent() ? asJob.get().jobs().fds() : DescriptorSource.onThisMachine(),
                HeldDescriptors.watchesFor(share) + 1L);
        TreeRule memoryFiles = asJob.isPresent() ? MemoryFiles.forSandbox(share, asJob.get().jobs().fds()::memoryFiles, fds)
                : MemoryFiles.forSandbox(share, fds);
        return new JobProcess(process, killAll, pumps, priority.rule(gpuJob).and(memoryFiles)
                .and(HeldDescriptors.forJob(share, fds)).and(FileLocks.forJob(share)).and(SocketBuffers.forJob(share))
                .and(PendingSignals.forJob(plan.limits()))
                .and(MemoryMappings.forJob(share)).and(treeMemory(gpuJob)), giveBack, Optional.of(fds));
    }

    /** The descriptors of this launcher's jobs as the node may read them: through the namespace's helper for subordinate uids. */
    @Override
    public DescriptorSource descriptors() {
        return subordinate.<DescriptorSource>map(SubordinateJobs::fds).orElse(DescriptorSource.onThisMachine());
    }

    @Override
    public WorkDirBudget.TreeUsage treeUsage() {
        return subordinate.<WorkDirBudget.TreeUsage>map(s -> s.fds()::usage).orElse(WorkDirBudget.LOCAL);
    }

    /**
     * Makes the node's job directory {@code name} ready ({@link JobDirs#prepare}); where jobs run as
     * subordinate uids, what a killed node's jobs left there is given back first and the directory is
     * made 0710 of the node's group, which they pass ({@link SubordinateOwnership#prepareJobDir}).
     */
    public Path prepareJobDir(String name) throws IOException {
        return subordinate.isPresent() ? SubordinateOwnership.prepareJobDir(subordinate.get().namespace(), name)
                : JobDirs.prepare(name);
    }

    /**
     * The node's job directory for this start, new each start ({@link JobDirs#prepareForNode}), once
     * what earlier starts of the node whose key is kept in {@code keyFile} left is given back
     * (subordinate uids) and deleted.
     */
    public Path prepareNodeJobDir(Path keyFile) throws IOException {
        return subordinate.isPresent() ? SubordinateOwnership.prepareNodeJobDir(subordinate.get().namespace(), keyFile)
                : JobDirs.prepareForNode(keyFile);
    }

    /**
     * This start's job directories ({@link NodeJobDirs}): as {@link #prepareNodeJobDir}, and one new for
     * each job, made as that one is.
     */
    public NodeJobDirs startNodeJobDirs(Path keyFile) throws IOException {
        return subordinate.isPresent() ? SubordinateOwnership.startNode(subordinate.get().namespace(), keyFile)
                : JobDirs.startNode(keyFile);
    }

    /** A job that never started gives its directories back at once: no process of its is alive in them. */
    private static void giveBackAfterFailure(JobProcess.Ended giveBack) {
        try {
            giveBack.run();
        } catch (IOException e) {
            // left the job's uid's: the next start's prepareJobDir gives the job directory back whole
        }
    }

    /**
     * The whole tree's memory, counted by the node where no cgroup counts it: RLIMIT_AS bounds each
     * process alone ({@link JobMemory}). Not for a GPU job on a node that bounds none (CUDA's
     * mappings are not the job's memory on the host alone).
     */
    private TreeRule treeMemory(boolean gpuJob) {
        boolean bounded = plan.memory() == SandboxPlan.MemoryLimit.ADDRESS_SPACE
                || (plan.memory() == SandboxPlan.MemoryLimit.NONE && !gpuJob);
        return bounded ? JobMemory.forJob(plan.limits()) : TreeRule.NONE;
    }

    private static Process spawn(ProcessBuilder builder) throws IOException {
        Future<Process> started = SPAWNER.submit(builder::start);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return started.get(); // a spawn takes milliseconds; an interrupt must not leave an unowned job
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IOException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Path stage(List<Path> staged, String prefix, byte[] data) throws IOException {
        Path f = inputs.oneShot(prefix, data);
        staged.add(f);
        return f;
    }

    private static void deleteAll(List<Path> files) {
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                // left in the private directory, which goes when the node exits
            }
        }
    }
}
