package dev.rhizome.node.job;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

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
 * it may write, at {@code /job} whatever its host path ({@link SandboxPaths}). No network, no IPC with the host, no new privileges, no capabilities, no
 * further user namespaces (the kernel's largest attack surface for an unprivileged process), and
 * none of the system calls {@link SeccompFilter} refuses.
 * The node's data directory and the user's home are simply not there.
 *
 * <p>The job's process tree lives in the new PID namespace, whose init is the job's own command
 * ({@code --as-pid-1}): when it ends, or bubblewrap is killed ({@code --die-with-parent} gives it
 * a parent-death signal, which the job cannot clear), the kernel kills every process left in it,
 * setsid or not, before anyone outside learns of the end.
 */
public final class BwrapCommand {
    /** Directories next to /usr that are symlinks into it on a merged-/usr system and real ones elsewhere. */
    static final List<Path> SYSTEM_ROOTS = paths("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");
    /** What of /etc programs need to start: the loader's cache, Debian's alternatives, time zone (users' names are {@link #passwd}'s). */
    static final List<Path> ETC_FILES = paths("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
            "/etc/alternatives", "/etc/localtime", "/etc/timezone", "/etc/nsswitch.conf");
    /**
     * /etc of the programs the volunteer installed locally, inside the /usr every job sees: their configuration
     * (npm's global npmrc with its registry token, a locally built git's gitconfig), which a job needs no more
     * than the host's /etc, of which it sees a short list. An empty read-only tmpfs.
     */
    static final List<String> HIDDEN_SYSTEM_DIRS = List.of("/usr/local/etc");
    /** Configuration directories of language runtimes that Debian keeps in /etc (java-17-openjdk, python3.11). */
    static final List<String> ETC_RUNTIME_PREFIXES = List.of("java-", "python3");
    static final String HOSTNAME = "rhizome-job";
    /** bubblewrap's option that runs the job's command as its PID namespace's init ({@link #options}). */
    static final String AS_PID_1 = "--as-pid-1";
    /** Where bubblewrap mounts the job's pseudo-terminals, hidden under an empty read-only tmpfs. */
    static final String DEVPTS = "/dev/pts";
    static final String CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES";
    /** The descriptor the seccomp program reaches bubblewrap on. */
    static final int SECCOMP_FD = 9;
    /** The descriptors bubblewrap's arguments, the job's passwd and its group reach it on. */
    static final int ARGS_FD = 8;
    static final int PASSWD_FD = 7;
    static final int GROUP_FD = 6;
    static final int BOOT_ID_FD = 5;
    static final int HOSTS_FD = 4;
    /** The host's boot id: the same for every job until the machine restarts, so a fingerprint of it. */
    static final String BOOT_ID = "/proc/sys/kernel/random/boot_id";
    /** PID 1's memory, by both of the names /proc gives its first thread. */
    static final List<String> PID1_MEMORY = List.of("/proc/1/mem", "/proc/1/task/1/mem");
    /**
     * The kernel's keyrings as /proc lists them: every key the job's uid may view, which is the keys of
     * that uid on the host (the node user's own when the node is not root: its user and session
     * keyrings, each key's description, type and size) and of the session keyring it inherited.
     * keyctl is refused, so their payloads are out of reach; their list reads empty instead.
     */
    static final List<String> KEY_LISTS = List.of("/proc/keys", "/proc/key-users");
    /**
     * Unreadable by every job (bound over with {@code /dev/null}, which a bind without devices refuses to
     * open: EACCES): the machine's interrupt counts, per
     * line and per CPU, moved with each key the volunteer pressed (the keyboard's line, or its USB
     * controller's) and each packet, and a job reading them in a loop timed the volunteer's typing, a
     * known way to guess passwords from keystroke intervals. No program of training reads them.
     */
    static final List<String> INTERRUPT_COUNTS = List.of("/proc/interrupts", "/proc/softirqs");
    /**
     * Unreadable too: the machine's pressure stall counts, whose {@code total=} (microseconds that tasks
     * of the whole machine waited for a CPU, for I/O, for memory) changed at every read 5 ms apart in a
     * job while the host worked (round 24), a clock of the volunteer's activity. Nothing of training
     * reads them; a kernel without PSI has none.
     */
    static final List<String> PRESSURE = List.of("/proc/pressure/cpu", "/proc/pressure/io", "/proc/pressure/memory",
            "/proc/pressure/irq");
    /**
     * Directories of /proc hidden under an empty read-only tmpfs: {@code /proc/irq}'s {@code spurious} files
     * hold each interrupt line's count (the keyboard's too, round 24's leak again), {@code /proc/fs}'s the
     * file systems' allocator and cache counts and {@code /proc/sys/fs/quota}'s the quota cache's, which
     * move with the machine's writes, ZFS's {@code /proc/spl} its cache's hits at every read of any file.
     * Nothing of training reads them.
     */
    static final List<String> HIDDEN_PROC_DIRS = List.of("/proc/irq", "/proc/fs", "/proc/sys/fs/quota", "/proc/spl");
    /**
     * Directories of /proc in which drivers show the volunteer's devices, hidden the same way (round 27): ALSA's
     * {@code /proc/asound} says of each sound stream, playback and capture (a call's microphone), whether it
     * runs; {@code /proc/acpi} holds, where the kernel has them, the lid's state and a ThinkPad's fan, temperature
     * and keys; {@code /proc/bus/input/devices}, {@code /proc/scsi/scsi} and {@code /proc/tty/drivers} list
     * input devices, disks and serial lines as they are plugged in (a security key, a USB stick, a headset), and
     * {@code /proc/bus/pci} the machine's hardware. Round 28: {@code /proc/sys/dev/parport}'s {@code autoprobe}
     * files hold each parallel-port printer's maker and model, {@code /proc/sys/dev/cdrom/info} each optical
     * drive and whether it holds a disc. Round 31: the rest of {@code /proc/sys/dev} is the drivers' too, each
     * entry there only where its driver is loaded ({@code i915} and {@code xe} an Intel GPU's, {@code raid} the
     * software RAID's, {@code hpet}, {@code mac_hid}): hidden whole, as every kernel has the directory. Nothing
     * of training reads them (sysfs, which NVML and PyTorch read for devices, is absent anyway).
     */
    static final List<String> DEVICE_PROC_DIRS = List.of("/proc/asound", "/proc/acpi", "/proc/bus", "/proc/scsi",
            "/proc/tty", "/proc/sys/dev");
    /**
     * Drivers' own entries ({@code /proc/driver/rtc}: the clock chip's wake alarm, when the machine is set to
     * wake): hidden from a job without a GPU; a GPU job keeps the NVIDIA driver's there (its
     * {@code params} and {@code version}, which the CUDA driver reads), the clock's bound over, of the
     * driver's {@code gpus} directory only its own GPU's entry ({@link GpuPassthrough#procDirFor}), and none of
     * its {@code capabilities} (round 36, {@link GpuPassthrough#DRIVER_CAPABILITIES}).
     */
    static final String DRIVERS_PROC_DIR = "/proc/driver";
    static final String CLOCK_CHIP = "/proc/driver/rtc";
    static final int NOBODY = 65534;
    /** RLIMIT_NOFILE of every job process: four times the soft limit most distributions give a login. */
    static final int OPEN_FILES = 4096;
    /**
     * RLIMIT_SIGPENDING of a job alone on its node (jobs that run at once share it,
     * {@link SandboxLimits#pendingSignals}): the real-time signals it may have queued and the POSIX timers it
     * may hold (each keeps a signal ready), for the whole job: far below a host user's (the kernel
     * gives one per 256 KiB of memory, 96,362 on the development machine), and no more than a machine
     * of 256 MiB gives, since a limit above the node's own could not be set.
     */
    static final int PENDING_SIGNALS = 1024;
    /**
     * RLIMIT_MEMLOCK of every job process: locked pages cannot be reclaimed nor swapped, so the host
     * cannot take them back under pressure; the CUDA runtime pins host buffers through the driver,
     * which this does not count, and nothing else of training locks memory.
     */
    static final long LOCKED_MEMORY = 8L << 20;
    /** The name the job's own uid has inside, when it is not root's or nobody's. */
    static final String JOB_USER = "rhizome";
    /** A job's PATH when none of the node's directories exists inside. */
    static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

    private BwrapCommand() {
    }

    /**
     * Where bubblewrap's inputs are: files the launcher's first shell opens on fixed descriptors
     * before anything else runs (bubblewrap may run as another user, who could not open them).
     *
     * @param seccomp   the job's {@link SeccompFilter} program, when this architecture has one
     * @param passwd    the job's {@link #passwd} file
     * @param group     the job's {@link #group} file
     * @param bootId    the job's {@code /proc/sys/kernel/random/boot_id}: a random one of its own
     * @param hosts     the job's {@link #hosts} file
     * @param procViews the job's copies of /proc's machine-wide files ({@link ProcViews#forJob}), by their path
     *                  inside, each in a file the job's uid can read (bubblewrap opens them by path: no
     *                  descriptor is left for each, dash redirecting single digits alone)
     * @param arguments bubblewrap's {@link #options}, NUL-separated, read through {@code --args}: they
     *                  are PID 1's command line inside the sandbox, which the job can read. When absent,
     *                  they are on the command line itself (what the unit tests look at).
     */
    public record Inputs(Optional<Path> seccomp, Path passwd, Path group, Path bootId, Path hosts,
            Map<String, Path> procViews, Optional<Path> arguments) {
        public Inputs {
            Objects.requireNonNull(seccomp, "seccomp");
            Objects.requireNonNull(passwd, "passwd");
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(bootId, "bootId");
            Objects.requireNonNull(hosts, "hosts");
            procViews = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(procViews));
            Objects.requireNonNull(arguments, "arguments");
        }
    }

    /**
     * Makes the job's tree the kernel's first choice when the machine runs out of memory: where no
     * cgroup bounds a job, its memory is summed once a second ({@link JobMemory}) and one process may
     * touch its whole RLIMIT_AS (the limit plus 4 GiB) in between, as many at once as it has tasks, and
     * the kernel's OOM killer, left to itself, takes the process of most memory, the volunteer's as
     * readily as the job's. Set in
     * the first shell, before anything of the job's exists, so every process after it inherits it; a
     * job can only raise it (lowering takes {@code CAP_SYS_RESOURCE}, and its {@code /proc} is
     * read-only). Where the write fails the job still starts (stderr first, so no word of it reaches the log).
     */
    static final String OOM_FIRST = "echo 1000 2>/dev/null >/proc/self/oom_score_adj; ";

    /**
     * The full command: a shell that opens the {@link Inputs} on their descriptors, optionally
     * entering the job's cgroup and dropping to the job uid, then bubblewrap, then prlimit inside
     * the sandbox, then the job's own command.
     *
     * @param cgroupProcs the {@code cgroup.procs} file of the job's own cgroup, when the plan's limits use one
     */
    public static List<String> argv(SandboxPlan plan, List<String> command, Confinement confinement,
            Optional<Path> cgroupProcs, Inputs inputs, HostView host) {
        return argv(plan, command, confinement, cgroupProcs, inputs, host, List.of());
    }

    /**
     * {@link #argv}, with bubblewrap started through {@code asJob} where it is not empty: the
     * {@code nsenter} prefix of a node of an ordinary user ({@link JobUserNamespace#enter}), in the
     * place of a root node's {@code setpriv}: after the shell that opens the {@link Inputs}, which the
     * job's uid could not open, and after joining the cgroup, which the node's uid may write.
     */
    static List<String> argv(SandboxPlan plan, List<String> command, Confinement confinement,
            Optional<Path> cgroupProcs, Inputs inputs, HostView host, List<String> asJob) {
        return argv(plan, command, confinement, cgroupProcs, inputs, host, asJob, List.of());
    }

    /**
     * {@link #argv}, with bubblewrap started through {@code pinning} (a slot's {@code taskset -c}, {@link CpuShare}):
     * after the job's cgroup is joined, since moving a task into a cgroup of another cpuset resets its affinity to
     * that cpuset's CPUs on kernels before 6.2, and before the job's uid is taken.
     */
    static List<String> argv(SandboxPlan plan, List<String> command, Confinement confinement,
            Optional<Path> cgroupProcs, Inputs inputs, HostView host, List<String> asJob, List<String> pinning) {
        if (!asJob.isEmpty() && plan.jobUid().isPresent()) {
            throw new IllegalArgumentException("a job runs as a uid of JobUids' or through a namespace, not both");
        }
        List<String> argv = new ArrayList<>();
        // Single-digit descriptors: dash, /bin/sh on Debian, redirects no others.
        StringBuilder open = new StringBuilder("exec");
        List<String> files = new ArrayList<>();
        inputs.seccomp().ifPresent(f -> {
            files.add(f.toString());
            open.append(' ').append(SECCOMP_FD).append("<\"$").append(files.size()).append('"');
        });
        inputs.arguments().ifPresent(f -> {
            files.add(f.toString());
            open.append(' ').append(ARGS_FD).append("<\"$").append(files.size()).append('"');
        });
        files.add(inputs.passwd().toString());
        open.append(' ').append(PASSWD_FD).append("<\"$").append(files.size()).append('"');
        files.add(inputs.group().toString());
        open.append(' ').append(GROUP_FD).append("<\"$").append(files.size()).append('"');
        files.add(inputs.bootId().toString());
        open.append(' ').append(BOOT_ID_FD).append("<\"$").append(files.size()).append('"');
        files.add(inputs.hosts().toString());
        open.append(' ').append(HOSTS_FD).append("<\"$").append(files.size()).append('"');
        argv.addAll(List.of("/bin/sh", "-c", OOM_FIRST + open + " && shift " + files.size() + " && exec \"$@\"",
                "rhizome-sandbox"));
        argv.addAll(files);
        cgroupProcs.ifPresent(procs -> {
            // Joins the cgroup before anything else runs, so that no process of the job starts outside it.
            argv.addAll(List.of("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", procs.toString()));
        });
        argv.addAll(pinning);
        plan.jobUid().ifPresent(uid -> argv.addAll(List.of(plan.setpriv().toString(), "--reuid=" + uid,
                "--regid=" + plan.jobGid().getAsInt(), "--clear-groups", "--")));
        argv.addAll(asJob);
        argv.add(plan.bwrap().toString());
        if (inputs.arguments().isPresent()) {
            argv.addAll(List.of("--args", Integer.toString(ARGS_FD), "--"));
            argv.addAll(inside(plan, command, confinement));
        } else {
            argv.addAll(arguments(plan, command, confinement, inputs.seccomp().isPresent(), host, inputs.procViews()));
        }
        return List.copyOf(argv);
    }

    /** {@link #options} as {@code --args} reads them: each followed by a NUL. */
    public static byte[] argumentsFile(List<String> arguments) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String a : arguments) {
            if (a.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an argument holds a NUL: " + a);
            }
            out.writeBytes(a.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }

    /**
     * The job's {@code /etc/passwd}: root, nobody, and the job's own uid when it is neither, under a
     * name of ours. The host's file would tell the job who uses the machine.
     */
    public static String passwd(int uid, int gid) {
        StringBuilder s = new StringBuilder("root:x:0:0:root:/root:/usr/sbin/nologin\n"
                + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        if (uid != 0 && uid != NOBODY) {
            // /tmp: a home that exists and is writable, for what looks it up instead of $HOME
            s.append(JOB_USER).append(":x:").append(uid).append(':').append(gid).append("::/tmp:/bin/sh\n");
        }
        return s.toString();
    }

    /** The job's {@code /etc/group}, as {@link #passwd}. */
    public static String group(int gid) {
        StringBuilder s = new StringBuilder("root:x:0:\nnogroup:x:65534:\n");
        if (gid != 0 && gid != NOBODY) {
            s.append(JOB_USER).append(":x:").append(gid).append(":\n");
        }
        return s.toString();
    }

    /**
     * The job's {@code /etc/hosts}: its loopback addresses, by the names programs look them up by
     * ({@code localhost}, and the sandbox's host name, which {@code socket.getfqdn()}, Java's
     * {@code InetAddress.getLocalHost()} and PyTorch's distributed rendezvous resolve). Without one
     * no name resolved inside: the host's is not bound (it names the machine and its network).
     */
    public static String hosts() {
        return "127.0.0.1\tlocalhost " + HOSTNAME + "\n::1\tlocalhost ip6-localhost ip6-loopback " + HOSTNAME + "\n";
    }

    /** A boot id for one job, random, as the kernel writes one. */
    public static String bootId() {
        return UUID.randomUUID() + "\n";
    }

    /**
     * The job's environment, which bubblewrap gets too: the confinement's, with {@code PATH} cut to
     * the directories that exist inside, each path into the job's own directories where it is inside
     * ({@link SandboxPaths}), and {@code TMPDIR} the job's own {@code /tmp}. The node's own PATH names places in its user's home ({@code ~/.cargo/bin},
     * {@code ~/.pyenv/shims}) that the job cannot reach and need not know.
     */
    public static Map<String, String> environment(Confinement confinement) {
        Map<String, String> env = new HashMap<>(confinement.env());
        String path = env.get("PATH");
        if (path != null) {
            List<Path> inside = new ArrayList<>(SYSTEM_ROOTS);
            confinement.readOnly().forEach(p -> inside.add(p.toAbsolutePath().normalize()));
            confinement.writable().forEach(p -> inside.add(p.toAbsolutePath().normalize()));
            inside.add(confinement.workDir().toAbsolutePath().normalize());
            List<String> kept = new ArrayList<>();
            for (String dir : path.split(":")) {
                if (dir.startsWith("/") && !kept.contains(dir) && under(Path.of(dir), inside)) {
                    kept.add(dir);
                }
            }
            env.put("PATH", kept.isEmpty() ? DEFAULT_PATH : String.join(":", kept));
        }
        // HOME, a harness's result file, PATH's entries in the checkout: where they are inside. TMPDIR the
        // job's own tmpfs, the same for every job.
        Map<String, String> moved = new HashMap<>(SandboxPaths.of(confinement).insideValues(env));
        moved.put("TMPDIR", SandboxPaths.TMP);
        return moved;
    }

    /** Everything after bubblewrap's own name: its {@link #options}, then what it runs ({@link #inside}). */
    public static List<String> arguments(SandboxPlan plan, List<String> command, Confinement confinement,
            boolean seccomp, HostView host, Map<String, Path> procViews) {
        List<String> argv = new ArrayList<>(options(plan, confinement, seccomp, host, true, procViews));
        argv.add("--");
        argv.addAll(inside(plan, command, confinement));
        return List.copyOf(argv);
    }

    /**
     * bubblewrap's options: namespaces, mounts, the seccomp program, the directory. What {@code --args}
     * reads from a file (bubblewrap takes the command from its command line only).
     *
     * @param seccomp whether a seccomp program comes on {@link #SECCOMP_FD}
     */
    public static List<String> options(SandboxPlan plan, Confinement confinement, boolean seccomp, HostView host,
            Map<String, Path> procViews) {
        return options(plan, confinement, seccomp, host, true, procViews);
    }

    /**
     * @param newSession whether bubblewrap makes the job's session ({@code --new-session}, so that
     *                   it has no controlling terminal); false when the launcher already started it in
     *                   one of its own ({@link JobPriority#ownSession}), whose autogroup a new session
     *                   would leave for one at nice 0
     * @param procViews  the job's copies of /proc's machine-wide files, {@link Inputs#procViews}
     */
    public static List<String> options(SandboxPlan plan, Confinement confinement, boolean seccomp, HostView host,
            boolean newSession, Map<String, Path> procViews) {
        return options(plan, confinement, seccomp, host, newSession, procViews, Optional.empty());
    }

    /**
     * @param procViews  the job's copies of host files by their path inside: /proc's machine-wide files
     *                   ({@link Inputs#procViews}) and the small files of {@link #ETC_FILES} ({@link #etcCopies}),
     *                   each bound in the place of the host's
     * @param emptyLayer an empty directory of this job's, with which each directory every job sees is made an
     *                   overlay of its own where the plan {@link SandboxPlan#overlays overlays} ({@link SharedTrees})
     */
    public static List<String> options(SandboxPlan plan, Confinement confinement, boolean seccomp, HostView host,
            boolean newSession, Map<String, Path> procViews, Optional<Path> emptyLayer) {
        SharedTrees trees = plan.overlays() ? SharedTrees.of(emptyLayer, host) : SharedTrees.bindsOnly();
        List<String> argv = new ArrayList<>();
        if (seccomp) {
            argv.addAll(List.of("--seccomp", Integer.toString(SECCOMP_FD)));
        }
        argv.addAll(List.of("--unshare-all", "--unshare-user", "--disable-userns", "--hostname", HOSTNAME,
                "--die-with-parent"));
        // The job's command is its namespace's PID 1, with no init of bubblewrap's above it: its end kills
        // every other process of the job in the kernel, before its parent (bubblewrap, then the node) can
        // learn of that end. Under bubblewrap's init they outlived it until the outer bubblewrap, told of the
        // end, exited and init's parent-death signal came: a survivor printed a better metric into the log
        // in between. The cost: orphans are the job's own command's to reap (unreaped, they count against its
        // task limit until it ends), and, as any namespace's init, it ignores signals from inside the
        // namespace it has no handler for (the node's SIGKILL comes from outside and is not ignored). Its
        // parent-death signal, which ends the namespace when bubblewrap dies, cannot be cleared: the
        // seccomp filter answers PR_SET_PDEATHSIG as done without doing it.
        argv.add(AS_PID_1);
        if (newSession) {
            argv.add("--new-session");
        }
        argv.addAll(List.of("--cap-drop", "ALL"));
        Set<Path> mounted = new LinkedHashSet<>();
        for (Path root : SYSTEM_ROOTS) {
            Optional<Path> link = host.symlinkTarget(root);
            if (link.isPresent()) {
                argv.addAll(List.of("--symlink", link.get().toString(), root.toString()));
            } else if (host.exists(root)) {
                trees.mount(argv, root, root, false);
                mounted.add(root);
            }
        }
        for (String dir : HIDDEN_SYSTEM_DIRS) {
            if (hiddenHere(Path.of(dir), host)) {
                argv.addAll(List.of("--tmpfs", dir)); // read-only below, once nothing more is mounted
            }
        }
        // "-try": /etc is full of symlinks (localtime, alternatives) that may dangle; a job needn't fail for one.
        // A small file is the job's own copy (its inode too, so a lock on it meets no other job's), bound below.
        for (Path etc : ETC_FILES) {
            if (host.exists(etc) && !procViews.containsKey(etc.toString())) {
                shared(argv, trees, host, etc);
            }
        }
        // Ours, not the host's: the host's name the machine's users.
        argv.addAll(List.of("--ro-bind-data", Integer.toString(PASSWD_FD), "/etc/passwd",
                "--ro-bind-data", Integer.toString(GROUP_FD), "/etc/group",
                "--ro-bind-data", Integer.toString(HOSTS_FD), "/etc/hosts"));
        for (Path etc : host.children(Path.of("/etc"))) {
            String name = etc.getFileName().toString();
            if (ETC_RUNTIME_PREFIXES.stream().anyMatch(name::startsWith)) {
                shared(argv, trees, host, etc);
            }
        }
        argv.addAll(List.of("--proc", "/proc", "--dev", "/dev"));
        // No pseudo-terminals (the job has no terminal, and /dev/ptmx leads nowhere): the kernel
        // counts them for the whole machine, and a job took the 3,071 that every container and
        // sandbox shares (all but the host's own reserve), each with buffers no limit counts.
        argv.addAll(List.of("--tmpfs", DEVPTS));
        // PID 1 holds the parent-death signal that ends the namespace when bubblewrap dies. When it was
        // bubblewrap's init, of the job's uid, the job wrote its code through /proc/1/mem (the same uid
        // may, and /proc does not pass through seccomp's ptrace refusal) to clear that signal, and
        // outlived the node. It is the job's own command now (the filter answers the call that clears the
        // signal as done, whoever's code makes it); its memory still reads as /dev/null to the others.
        for (String mem : PID1_MEMORY) {
            argv.addAll(List.of("--ro-bind", "/dev/null", mem));
        }
        // Present only in a kernel with keyrings: bubblewrap cannot make a file /proc lacks.
        for (String keys : KEY_LISTS) {
            if (host.exists(Path.of(keys))) {
                argv.addAll(List.of("--ro-bind", "/dev/null", keys));
            }
        }
        for (String counts : INTERRUPT_COUNTS) {
            if (host.exists(Path.of(counts))) {
                argv.addAll(List.of("--ro-bind", "/dev/null", counts));
            }
        }
        for (String pressure : PRESSURE) {
            if (host.exists(Path.of(pressure))) {
                argv.addAll(List.of("--ro-bind", "/dev/null", pressure));
            }
        }
        Optional<JobGpu> gpu = JobGpu.of(confinement.env());
        List<Path> gpuDevices = plan.gpus().devicesFor(gpu);
        List<String> hiddenProcDirs = hiddenProcDirs(!gpuDevices.isEmpty(), host);
        for (String dir : hiddenProcDirs) {
            argv.addAll(List.of("--tmpfs", dir)); // read-only below, once nothing more is mounted
        }
        if (!gpuDevices.isEmpty() && host.exists(Path.of(CLOCK_CHIP))) {
            argv.addAll(List.of("--ro-bind", "/dev/null", CLOCK_CHIP));
        }
        // In the driver's GPU list, hidden above for a GPU job, its own GPU's entry alone (GpuPassthrough.procDirFor).
        plan.gpus().procDirFor(gpu, host).ifPresent(own -> argv.addAll(List.of("--ro-bind", own.toString(), own.toString())));
        // The machine's counters, each a clock of its activity (/proc/stat's of every interrupt line, the
        // keyboard's too): copies made at the job's start (ProcViews). Not /proc/net/softnet_stat: /proc
        // looks each entry of /proc/net up anew at every open, which drops a mount on it.
        procViews.forEach((inside, file) -> argv.addAll(List.of("--ro-bind", file.toString(), inside)));
        // One of its own: the host's would let jobs (and whoever reads their results) tell machines apart.
        argv.addAll(List.of("--ro-bind-data", Integer.toString(BOOT_ID_FD), BOOT_ID));
        argv.addAll(List.of("--size", Long.toString(plan.limits().tmpBytes()), "--tmpfs", "/tmp"));
        // /dev is a tmpfs of no size, as is the root: a job writing there takes the machine's memory
        // past any RLIMIT_AS. /dev/shm (POSIX shared memory, data loaders' workers) gets a capped one,
        // and both are made read-only below once everything is mounted on them.
        argv.addAll(List.of("--size", Long.toString(plan.limits().tmpBytes()), "--tmpfs", "/dev/shm"));
        // Only the job's own GPU (and the driver's shared control devices) is there; a CPU job sees none.
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
                trees.mount(argv, dir, dir, false);
            }
        }
        // The job's own directories at fixed paths inside (SandboxPaths): the directory it runs in always, at
        // /job, read-only unless the confinement lets it write it; its host path named the node's temporary
        // directory, uid and job directory. After /tmp's tmpfs, so that nothing inside lands under it.
        // A read-only one (the JDK, a seed's files) is an overlay of the job's own like the system's.
        for (SandboxPaths.Mount m : SandboxPaths.of(confinement).mounts(mounted)) {
            if (m.writable()) {
                argv.addAll(List.of("--bind", m.host().toString(), m.inside().toString()));
            } else if (!host.children(m.host()).isEmpty()) {
                trees.mount(argv, m.host(), m.inside(), false);
            } else {
                argv.addAll(List.of("--ro-bind", m.host().toString(), m.inside().toString()));
            }
        }
        // Last: nothing more is mounted, so the two unsized tmpfs can no longer be written. /proc too:
        // PID 1 has the job's uid, so its oom_score_adj, coredump_filter, clear_refs, sched and
        // autogroup were the job's to write, and so were the job's own (its autogroup's nice, which
        // the launcher sets to the job's priority). The job's descriptors (/dev/stdout) still lead out.
        argv.addAll(List.of("--remount-ro", "/proc"));
        for (String dir : hiddenProcDirs) {
            argv.addAll(List.of("--remount-ro", dir));
        }
        for (String dir : HIDDEN_SYSTEM_DIRS) {
            if (hiddenHere(Path.of(dir), host)) {
                argv.addAll(List.of("--remount-ro", dir));
            }
        }
        argv.addAll(List.of("--remount-ro", DEVPTS, "--remount-ro", "/dev", "--remount-ro", "/"));
        argv.addAll(List.of("--chdir", SandboxPaths.WORK_DIR));
        return List.copyOf(argv);
    }

    /**
     * What bubblewrap runs: prlimit, which sets the limits inside the sandbox (after the user
     * namespace exists), then the job's own command.
     */
    static List<String> inside(SandboxPlan plan, List<String> command, Confinement confinement) {
        List<String> argv = new ArrayList<>();
        List<Path> gpuDevices = plan.gpus().devicesFor(JobGpu.of(confinement.env()));
        argv.add(plan.prlimit().toString());
        argv.add("--nproc=" + plan.limits().processes());
        // No core dumps, and none allowed back (soft and hard): a crashing process wrote its whole
        // memory at once, into the checkout past the budget's next look, or, where the kernel pipes
        // dumps to a helper (apport, systemd-coredump), to that root helper on the host, which keeps
        // them outside the sandbox and any budget (systemd-coredump stores nothing for a limit of 0).
        argv.add("--core=0");
        // No real-time priority and no nice below the one the job starts at, soft and hard, whatever
        // the node's own limits allow (a volunteer in an audio group may have rtprio 95 and nice
        // -19): a job at SCHED_FIFO starves every normal task of the core it spins on.
        argv.add("--rtprio=0");
        argv.add("--nice=0");
        // Descriptors, soft and hard: a JVM raises its soft limit to the hard one (a systemd
        // desktop's is 524,288), and a job inherited it. Each descriptor can hold kernel memory no
        // limit but a cgroup counts (a socket's unsent buffers, a pipe's pages, a file in memory),
        // so this bounds that per process; data loaders' workers pass batches on a few dozen.
        argv.add("--nofile=" + OPEN_FILES);
        // Counts the kernel keeps for the job's uid on the host as well as in its own user namespace:
        // the host's count of pending signals, POSIX timers and message-queue bytes rises by the
        // job's, which its own limit caps (its namespace's count is checked against it), so that it
        // cannot take the node user's share (soft and hard: no job raises them). Nothing training
        // runs queues many signals, and none uses a message queue.
        argv.add("--sigpending=" + plan.limits().pendingSignals());
        argv.add("--msgqueue=0");
        // Locked memory, soft and hard: the node's own limit may be far larger (a desktop's for audio, a
        // server's unlimited), and what a job locks the host cannot reclaim under pressure.
        argv.add("--memlock=" + LOCKED_MEMORY);
        // On a GPU node without a cgroup, only jobs given a GPU go unbounded (CUDA maps more address
        // space than any sane RLIMIT_AS); a CPU slot's job there is bounded like anywhere else.
        if (plan.memory() == SandboxPlan.MemoryLimit.ADDRESS_SPACE
                || (plan.memory() == SandboxPlan.MemoryLimit.NONE && gpuDevices.isEmpty())) {
            argv.add("--as=" + plan.limits().addressSpaceBytes());
        }
        argv.add("--");
        // Each path of the job's own directories it is handed, where it is inside (the JDK's keeps its own).
        argv.addAll(SandboxPaths.of(confinement).insideAll(command));
        return List.copyOf(argv);
    }

    /**
     * The directories of /proc this machine has that a job sees as empty: the counters' and the devices' always,
     * {@link #DRIVERS_PROC_DIR} unless the job has a GPU, and a GPU job's the driver's list of GPUs, where its own
     * is then bound (bubblewrap cannot mount over what /proc lacks).
     */
    static List<String> hiddenProcDirs(boolean gpuJob, HostView host) {
        List<String> dirs = new ArrayList<>(HIDDEN_PROC_DIRS);
        dirs.addAll(DEVICE_PROC_DIRS);
        if (!gpuJob) {
            dirs.add(DRIVERS_PROC_DIR);
        } else {
            dirs.add(GpuPassthrough.DRIVER_GPUS.toString()); // but the job's own GPU's entry, bound in it
            dirs.add(GpuPassthrough.DRIVER_CAPABILITIES.toString()); // MIG's rights, none a whole GPU needs
        }
        dirs.removeIf(dir -> !host.exists(Path.of(dir)));
        return List.copyOf(dirs);
    }

    /**
     * Whether {@code dir} is there to hide with no link on its way: bubblewrap would follow one (a /usr/local
     * that leads to /opt) to a place the job's root lacks, and the job would not start.
     */
    private static boolean hiddenHere(Path dir, HostView host) {
        if (!host.exists(dir)) {
            return false;
        }
        for (Path p = dir; p != null && p.getNameCount() > 0; p = p.getParent()) {
            if (host.symlinkTarget(p).isPresent()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The place of the host that every job sees, read-only, and that holds {@code path} (a real path),
     * if any: the system's directories, the files of /etc a job needs, this JVM (a seed's "java") and
     * the GPU driver's libraries. A node whose data directory lies there (a `--data-dir` under
     * /usr/local, say) showed its key, log and repository to every job: to a job of its own uid, the
     * node's when it does not run as root, even a key only its owner may read.
     */
    static Optional<Path> shownToEveryJob(Path path, GpuPassthrough gpus, HostView host) {
        List<Path> shown = new ArrayList<>(SYSTEM_ROOTS);
        shown.addAll(ETC_FILES);
        for (Path etc : host.children(Path.of("/etc"))) {
            String name = etc.getFileName().toString();
            if (ETC_RUNTIME_PREFIXES.stream().anyMatch(name::startsWith)) {
                shown.add(etc);
            }
        }
        shown.add(JobRunner.javaHome());
        shown.addAll(gpus.libraryDirs());
        return shown.stream().map(r -> r.toAbsolutePath().normalize()).filter(path::startsWith).findFirst();
    }

    private static boolean within(Path p, List<Path> roots) {
        return roots.stream().anyMatch(r -> p.startsWith(r.toAbsolutePath().normalize()));
    }

    /**
     * A place of /etc shown as it is on the host: a directory with entries as {@link SharedTrees} mounts one,
     * anything else bound ("-try": /etc is full of symlinks, localtime and alternatives, that may dangle; a job
     * needn't fail for one).
     */
    private static void shared(List<String> argv, SharedTrees trees, HostView host, Path etc) {
        if (!host.children(etc).isEmpty()) {
            trees.mount(argv, etc, etc, true);
        } else {
            argv.addAll(List.of("--ro-bind-try", etc.toString(), etc.toString()));
        }
    }

    /** The largest file of {@link #ETC_FILES} a job gets a copy of ({@link #etcCopies}); the loader's cache is some 100 KiB. */
    static final long ETC_COPY_MAX = 4L << 20;

    /**
     * The files of {@link #ETC_FILES} a job gets a copy of, not the host's: regular files (a link followed,
     * as bubblewrap's bind follows it) of at most {@link #ETC_COPY_MAX}. A copy is an inode of the job's own,
     * so no lock on it meets another job's or the host's (a bind of {@code /etc/ld.so.cache} carried
     * {@code flock}'s signal between jobs), and its access time is the copy's.
     */
    static List<Path> etcCopies(HostView host) {
        List<Path> copies = new ArrayList<>();
        for (Path etc : ETC_FILES) {
            if (host.exists(etc) && host.children(etc).isEmpty() && host.regularFileSize(etc).orElse(Long.MAX_VALUE) <= ETC_COPY_MAX) {
                copies.add(etc);
            }
        }
        return copies;
    }

    private static boolean under(Path path, Collection<Path> roots) {
        Path p = path.toAbsolutePath().normalize();
        return roots.stream().anyMatch(p::startsWith);
    }

    private static List<Path> paths(String... names) {
        return Arrays.stream(names).map(Path::of).toList();
    }
}
