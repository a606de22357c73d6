package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Builds the command line that runs one job process under bubblewrap. A pure function of the
 * plan, the job and a view of the host's files, so every choice below is unit-tested without
 * starting anything.
 *
 * <p>What the job sees: the system's software read-only (/usr and the /bin, /lib* next to it,
 * a few files of /etc that programs need to start, the JDK), its own /proc (a new PID
 * namespace: no other process of the machine, and none of their command lines or
 * environments), a minimal /dev (plus, for a GPU slot's job, the NVIDIA control devices and its
 * own GPU's node, never another slot's: {@link GpuPassthrough#devicesFor}), a private /tmp in memory, and its checkout, the only place
 * it may write. No network, no IPC with the host, no new privileges, no capabilities, no
 * further user namespaces (the kernel's largest attack surface for an unprivileged process), and
 * none of the system calls {@link SeccompFilter} refuses.
 * The node's data directory and the user's home are simply not there.
 *
 * <p>The job's process tree lives in the new PID namespace, whose init is bubblewrap's: when
 * the job's command ends, or bubblewrap is killed ({@code --die-with-parent} chains the kill to
 * the namespace's init), the kernel kills every process left in it, setsid or not.
 */
public final class BwrapCommand {
    /** Directories next to /usr that are symlinks into it on a merged-/usr system and real ones elsewhere. */
    static final List<Path> SYSTEM_ROOTS = paths("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");
    /** What of /etc programs need to start: the loader's cache, Debian's alternatives, names of users, time zone. */
    static final List<Path> ETC_FILES = paths("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
            "/etc/alternatives", "/etc/localtime", "/etc/timezone", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf");
    /** Configuration directories of language runtimes that Debian keeps in /etc (java-17-openjdk, python3.11). */
    static final List<String> ETC_RUNTIME_PREFIXES = List.of("java-", "python3");
    static final String HOSTNAME = "rhizome-job";
    static final String CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES";
    /** The descriptor the seccomp program reaches bubblewrap on. */
    static final int SECCOMP_FD = 9;

    private BwrapCommand() {
    }

    /**
     * The full command: optionally entering the job's cgroup and dropping to the job uid, then
     * bubblewrap, then prlimit inside the sandbox, then the job's own command.
     *
     * @param cgroupProcs the {@code cgroup.procs} file of the job's own cgroup, when the plan's limits use one
     * @param seccomp     the file holding the job's {@link SeccompFilter} program, when this architecture has one
     */
    public static List<String> argv(SandboxPlan plan, List<String> command, Confinement confinement,
            Optional<Path> cgroupProcs, Optional<Path> seccomp, HostView host) {
        List<String> argv = new ArrayList<>();
        seccomp.ifPresent(filter -> {
            // bubblewrap reads the program from a file descriptor; the shell opens it, then is replaced.
            argv.addAll(List.of("/bin/sh", "-c", "exec \"$@\" " + SECCOMP_FD + "<\"$0\"", filter.toString()));
        });
        cgroupProcs.ifPresent(procs -> {
            // Joins the cgroup before anything else runs, so that no process of the job starts outside it.
            argv.addAll(List.of("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", procs.toString()));
        });
        plan.jobUid().ifPresent(uid -> argv.addAll(List.of(plan.setpriv().toString(), "--reuid=" + uid,
                "--regid=" + uid, "--clear-groups", "--")));
        argv.add(plan.bwrap().toString());
        seccomp.ifPresent(filter -> argv.addAll(List.of("--seccomp", Integer.toString(SECCOMP_FD))));
        argv.addAll(List.of("--unshare-all", "--unshare-user", "--disable-userns", "--hostname", HOSTNAME,
                "--die-with-parent", "--new-session", "--cap-drop", "ALL"));
        Set<Path> mounted = new LinkedHashSet<>();
        for (Path root : SYSTEM_ROOTS) {
            Optional<Path> link = host.symlinkTarget(root);
            if (link.isPresent()) {
                argv.addAll(List.of("--symlink", link.get().toString(), root.toString()));
            } else if (host.exists(root)) {
                roBind(argv, root);
                mounted.add(root);
            }
        }
        // "-try": /etc is full of symlinks (localtime, alternatives) that may dangle; a job needn't fail for one.
        for (Path etc : ETC_FILES) {
            if (host.exists(etc)) {
                argv.addAll(List.of("--ro-bind-try", etc.toString(), etc.toString()));
            }
        }
        for (Path etc : host.children(Path.of("/etc"))) {
            String name = etc.getFileName().toString();
            if (ETC_RUNTIME_PREFIXES.stream().anyMatch(name::startsWith)) {
                argv.addAll(List.of("--ro-bind-try", etc.toString(), etc.toString()));
            }
        }
        argv.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
        argv.addAll(List.of("--size", Long.toString(plan.limits().tmpBytes()), "--tmpfs", "/tmp"));
        // /dev is a tmpfs of no size, as is the root: a job writing there takes the machine's memory
        // past any RLIMIT_AS. /dev/shm (POSIX shared memory, data loaders' workers) gets a capped one,
        // and both are made read-only below once everything is mounted on them.
        argv.addAll(List.of("--size", Long.toString(plan.limits().tmpBytes()), "--tmpfs", "/dev/shm"));
        // Only the job's own GPU (and the driver's shared control devices) is there; a CPU job sees none.
        Optional<JobGpu> gpu = JobGpu.of(confinement.env());
        List<Path> gpuDevices = plan.gpus().devicesFor(gpu);
        for (Path dev : gpuDevices) {
            argv.addAll(List.of("--dev-bind", dev.toString(), dev.toString()));
        }
        String visible = confinement.env().get(CUDA_VISIBLE_DEVICES);
        if (!gpuDevices.isEmpty() && visible != null && visible.strip().matches("\\d+")) {
            // Named by index (the GPU's UUID was not known): inside, the one GPU passed is CUDA's device 0.
            argv.addAll(List.of("--setenv", CUDA_VISIBLE_DEVICES, "0"));
        }
        for (Path dir : plan.gpus().libraryDirsFor(gpu)) {
            if (!under(dir, mounted) && !under(dir, SYSTEM_ROOTS)) {
                roBind(argv, dir);
            }
        }
        for (Path p : confinement.readOnly()) {
            if (!under(p, mounted)) {
                roBind(argv, p.toAbsolutePath().normalize());
            }
        }
        // The directory a job runs in is always there: read-only, unless the confinement lets it write it.
        Path workDir = confinement.workDir().toAbsolutePath().normalize();
        if (!under(workDir, mounted) && !within(workDir, confinement.readOnly())
                && !within(workDir, confinement.writable())) {
            roBind(argv, workDir);
        }
        // After /tmp's tmpfs, so that a checkout under the system temp dir is mounted on top of it.
        for (Path p : confinement.writable()) {
            String path = p.toAbsolutePath().normalize().toString();
            argv.addAll(List.of("--bind", path, path));
        }
        // Last: nothing more is mounted, so the two unsized tmpfs can no longer be written.
        argv.addAll(List.of("--remount-ro", "/dev", "--remount-ro", "/"));
        argv.addAll(List.of("--chdir", confinement.workDir().toAbsolutePath().normalize().toString(), "--"));

        argv.add(plan.prlimit().toString());
        argv.add("--nproc=" + plan.limits().processes());
        // On a GPU node without a cgroup, only jobs given a GPU go unbounded (CUDA maps more address
        // space than any sane RLIMIT_AS); a CPU slot's job there is bounded like anywhere else.
        if (plan.memory() == SandboxPlan.MemoryLimit.ADDRESS_SPACE
                || (plan.memory() == SandboxPlan.MemoryLimit.NONE && gpuDevices.isEmpty())) {
            argv.add("--as=" + plan.limits().addressSpaceBytes());
        }
        argv.add("--");
        argv.addAll(command);
        return List.copyOf(argv);
    }

    private static boolean within(Path p, List<Path> roots) {
        return roots.stream().anyMatch(r -> p.startsWith(r.toAbsolutePath().normalize()));
    }

    private static void roBind(List<String> argv, Path path) {
        argv.addAll(List.of("--ro-bind", path.toString(), path.toString()));
    }

    private static boolean under(Path path, java.util.Collection<Path> roots) {
        Path p = path.toAbsolutePath().normalize();
        return roots.stream().anyMatch(p::startsWith);
    }

    private static List<Path> paths(String... names) {
        return java.util.Arrays.stream(names).map(Path::of).toList();
    }
}
