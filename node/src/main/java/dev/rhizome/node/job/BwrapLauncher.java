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

    private final SandboxPlan plan;
    private final Optional<CgroupV2> cgroup;
    private final HostView host;
    private final JobPriority priority = JobPriority.onThisMachine();
    private final Optional<SeccompFilter.Arch> arch = SeccompFilter.Arch.host();
    /**
     * The private directory (0700, a random name) that holds the job's seccomp program; null until
     * the first job, and replaced when something (a temp cleaner) removed it. Never a name of its
     * own in the shared temp directory: another local user could plant a program of their own
     * there, at the latest once a temp cleaner had removed ours, and bubblewrap would load it.
     */
    private Path seccompDir;
    private static final String PROGRAM_PREFIX = "rhizome-seccomp-";
    /** A seccomp directory's name: the prefix, its writer's pid, a random part. */
    private static final java.util.regex.Pattern PROGRAM_NAME =
            java.util.regex.Pattern.compile(PROGRAM_PREFIX + "([0-9]{1,19})-[0-9]+");
    /** Orphans are looked for once per process, when its first sandbox is built. */
    private static final java.util.concurrent.atomic.AtomicBoolean SWEPT = new java.util.concurrent.atomic.AtomicBoolean();

    public BwrapLauncher(SandboxPlan plan, Optional<CgroupV2> cgroup, HostView host) {
        this.plan = Objects.requireNonNull(plan, "plan");
        this.cgroup = plan.memory() == SandboxPlan.MemoryLimit.CGROUP ? cgroup : Optional.empty();
        if (plan.memory() == SandboxPlan.MemoryLimit.CGROUP && this.cgroup.isEmpty()) {
            throw new IllegalArgumentException("the plan limits memory by cgroup but none is given");
        }
        this.host = Objects.requireNonNull(host, "host");
    }

    /** The seccomp program's file, written again (in a new private directory if need be) when it is gone. */
    synchronized Optional<Path> seccompFile() throws IOException {
        if (arch.isEmpty()) {
            return Optional.empty();
        }
        if (seccompDir == null || !isPrivateDir(seccompDir)) {
            long pid = ProcessHandle.current().pid();
            if (SWEPT.compareAndSet(false, true)) {
                removeOrphanedPrograms(Path.of(System.getProperty("java.io.tmpdir")), pid);
            }
            // named by this pid, so that the directory of a node killed with SIGKILL (which never
            // runs its delete-on-exit) is found and removed by the next node
            seccompDir = Files.createTempDirectory(PROGRAM_PREFIX + pid + "-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            seccompDir.toFile().deleteOnExit(); // runs after the file's, registered later
        }
        Path program = seccompDir.resolve("filter.bpf");
        if (!Files.isRegularFile(program, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Path tmp = Files.createTempFile(seccompDir, "filter-", ".tmp");
            Files.write(tmp, SeccompFilter.program(arch.get()));
            Files.move(tmp, program, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            program.toFile().deleteOnExit();
        }
        return Optional.of(program);
    }

    /** Still ours alone: a real directory (not a link), owned by this process's user, mode 0700. */
    private static boolean isPrivateDir(Path dir) throws IOException {
        try {
            java.nio.file.attribute.PosixFileAttributes a = Files.readAttributes(dir,
                    java.nio.file.attribute.PosixFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return a.isDirectory() && a.permissions().equals(PosixFilePermissions.fromString("rwx------"))
                    && (Integer) Files.getAttribute(dir, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS) == JobDirs.myUid();
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    /**
     * Deletes the seccomp directories of processes that are gone: a node killed with SIGKILL never
     * runs its delete-on-exit, so each kill left one in the temporary directory, for good. A
     * directory is its writer's while a process with its pid lives (a reused pid only keeps it
     * longer); links are never followed, and another user's directories are not ours to delete.
     *
     * @return how many were deleted
     */
    static int removeOrphanedPrograms(Path tmp, long ownPid) {
        int removed = 0;
        try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(tmp, PROGRAM_PREFIX + "*")) {
            for (Path dir : entries) {
                java.util.regex.Matcher m = PROGRAM_NAME.matcher(dir.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid == ownPid || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
                        || !isPrivateDir(dir)) {
                    continue;
                }
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                            Files.deleteIfExists(f);
                        }
                    }
                }
                if (Files.deleteIfExists(dir)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            return removed;  // a temporary directory we can't list or clear: nothing more to do
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
        // Started from /, not the node's working directory: the shells before bubblewrap export it
        // as PWD, which bubblewrap passes on, and the job could read it in /proc/1/environ.
        builder.directory(new java.io.File("/"));
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
