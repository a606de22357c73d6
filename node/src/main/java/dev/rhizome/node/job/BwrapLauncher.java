package dev.rhizome.node.job;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

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
    private static final java.util.concurrent.ExecutorService SPAWNER = java.util.concurrent.Executors
            .newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "sandbox-spawner");
                t.setDaemon(true);
                return t;
            });

    private static final String PROGRAM_PREFIX = "rhizome-seccomp-";
    /** The writer's pid, then this launcher's tag or a temporary file's random part. */
    private static final java.util.regex.Pattern PROGRAM_NAME =
            java.util.regex.Pattern.compile(PROGRAM_PREFIX + "([0-9]{1,19})-[0-9a-f]+\\.(bpf|tmp)");
    /** The sweep for programs of dead processes runs once per process. */
    private static final java.util.concurrent.atomic.AtomicBoolean SWEPT = new java.util.concurrent.atomic.AtomicBoolean();

    private final SandboxPlan plan;
    private final Optional<CgroupV2> cgroup;
    private final HostView host;
    private final JobPriority priority = JobPriority.onThisMachine();
    /** Where the job's seccomp program is written; empty on an architecture the filter does not know. */
    private final Optional<Path> seccomp;
    private final Optional<SeccompFilter.Arch> arch = SeccompFilter.Arch.host();

    public BwrapLauncher(SandboxPlan plan, Optional<CgroupV2> cgroup, HostView host) {
        this.plan = Objects.requireNonNull(plan, "plan");
        this.cgroup = plan.memory() == SandboxPlan.MemoryLimit.CGROUP ? cgroup : Optional.empty();
        if (plan.memory() == SandboxPlan.MemoryLimit.CGROUP && this.cgroup.isEmpty()) {
            throw new IllegalArgumentException("the plan limits memory by cgroup but none is given");
        }
        this.host = Objects.requireNonNull(host, "host");
        this.seccomp = arch.map(a -> Path.of(System.getProperty("java.io.tmpdir"),
                PROGRAM_PREFIX + ProcessHandle.current().pid() + "-" + Integer.toHexString(System.identityHashCode(this))
                        + ".bpf"));
    }

    /** The seccomp program's file, written again if something (a temp cleaner, a months-long run) removed it. */
    private Optional<Path> seccompFile() throws IOException {
        if (seccomp.isPresent() && !Files.isRegularFile(seccomp.get())) {
            Path dir = seccomp.get().getParent();
            if (SWEPT.compareAndSet(false, true)) {
                removeOrphanedPrograms(dir, ProcessHandle.current().pid());
            }
            // named by this pid too, so that a kill between create and rename leaves what the sweep finds
            Path tmp = Files.createTempFile(dir, PROGRAM_PREFIX + ProcessHandle.current().pid() + "-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, SeccompFilter.program(arch.get()));
            Files.move(tmp, seccomp.get(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            seccomp.get().toFile().deleteOnExit();
        }
        return seccomp;
    }

    /**
     * Deletes the seccomp programs (and their temporary files) of processes that are gone: a node
     * killed with SIGKILL never runs its delete-on-exit, so each kill left one in the temporary
     * directory, for good. A file is its writer's while a process with its pid lives (a reused pid
     * only keeps a file longer); another user's files are not ours to delete and stay.
     *
     * @return how many were deleted
     */
    static int removeOrphanedPrograms(Path dir, long ownPid) {
        int removed = 0;
        try (java.nio.file.DirectoryStream<Path> files = Files.newDirectoryStream(dir, PROGRAM_PREFIX + "*")) {
            for (Path f : files) {
                java.util.regex.Matcher m = PROGRAM_NAME.matcher(f.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid == ownPid || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                try {
                    if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.deleteIfExists(f)) {
                        removed++;
                    }
                } catch (IOException notOurs) {
                    // another user's, in a sticky temporary directory
                }
            }
        } catch (IOException e) {
            return removed;
        }
        return removed;
    }

    public SandboxPlan plan() {
        return plan;
    }

    @Override
    public Process start(List<String> command, Confinement confinement, Redirect stdin, Redirect stdout,
            Redirect stderr) throws IOException {
        if (plan.jobUid().isPresent()) {
            for (Path dir : confinement.writable()) {
                chownTree(dir, plan.jobUid().getAsInt());
            }
        }
        // Everything that can fail comes before the job's cgroup exists, so that a failure leaves none behind.
        boolean gpuJob = !plan.gpus().devicesFor(JobGpu.of(confinement.env())).isEmpty();
        Optional<Path> filter = seccompFile();
        Optional<CgroupV2.JobCgroup> jobCgroup = Optional.empty();
        if (cgroup.isPresent()) {
            jobCgroup = Optional.of(cgroup.get().create(plan.limits()));
        }
        List<String> argv = priority.apply(BwrapCommand.argv(plan, command, confinement,
                jobCgroup.map(CgroupV2.JobCgroup::procs), filter, host), gpuJob);
        ProcessBuilder builder = new ProcessBuilder(argv)
                .redirectInput(stdin)
                .redirectOutput(stdout)
                .redirectError(stderr);
        builder.environment().clear(); // bubblewrap passes its own environment on to the job
        builder.environment().putAll(confinement.env());
        Process process;
        try {
            process = spawn(builder);
        } catch (IOException | RuntimeException e) {
            jobCgroup.ifPresent(CgroupV2.JobCgroup::killAndRemove);
            throw e;
        }
        Optional<CgroupV2.JobCgroup> own = jobCgroup;
        Runnable killAll = () -> {
            process.destroyForcibly();
            own.ifPresent(CgroupV2.JobCgroup::killAndRemove);
        };
        process.onExit().thenRun(() -> own.ifPresent(CgroupV2.JobCgroup::killAndRemove));
        return new JobProcess(process, killAll);
    }

    private static Process spawn(ProcessBuilder builder) throws IOException {
        java.util.concurrent.Future<Process> started = SPAWNER.submit(builder::start);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return started.get(); // a spawn takes milliseconds; an interrupt must not leave an unowned job
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (java.util.concurrent.ExecutionException e) {
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

    /** Gives the job's uid what it must write; the node, as root, takes it back when it deletes the checkout. */
    private static void chownTree(Path dir, int uid) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.toList()) {
                Files.setAttribute(p, "unix:uid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            }
        }
    }
}
