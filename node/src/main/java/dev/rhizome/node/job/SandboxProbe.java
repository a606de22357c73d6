package dev.rhizome.node.job;

import dev.rhizome.protocol.LoadScaledBudget;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Finds out, by trying, whether this machine can sandbox jobs and how: the tools, each kind of
 * namespace bubblewrap needs, the cgroup v2 delegation or the rlimit fallback, the GPUs, and a
 * last run of a real sandboxed command built exactly as jobs will be.
 */
public final class SandboxProbe {
    /** The uid of "nobody" on Linux. */
    public static final int NOBODY = 65534;
    /** The check that says whose uid jobs run as. */
    public static final String JOB_USER = "job user";
    /** The start of the {@link #JOB_USER} check's detail when a node of an ordinary user runs its jobs as subordinate uids. */
    /** How a job user check that was {@code own} begins once the node's own namespace failed ({@link #ownLost}). */
    static final String OWN_LOST = "the trial job ran as a subordinate uid, but the node's own jobs' namespace then failed "
            + "to start, and the node will not run strangers' code as its user's own uid instead: ";
    static final String SUBORDINATE_OWN = "own: each slot's jobs run as a subordinate uid of the node user's own, "
            + "mapped in a user namespace of the node's";
    /**
     * What gives a node's jobs uids of their own, besides subordinate ids for its user
     * ({@link SubordinateIds#remedy}, which the {@link #JOB_USER} check's fix names after this).
     */
    public static final String SHARED_UID_FIX = "run the node as root (e.g. a system service), whose jobs run as uids of "
            + "their own (" + JobUids.describe() + ")";
    static final String INSTALL_BWRAP = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; "
            + "Fedora: dnf install bubblewrap; Arch: pacman -S bubblewrap)";
    static final String ENABLE_USERNS = "allow unprivileged user namespaces: sysctl -w user.max_user_namespaces=15000 "
            + "(and kernel.unprivileged_userns_clone=1 on kernels that have it; on Ubuntu 24.04+ "
            + "kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap); in a container, run it "
            + "with a seccomp and AppArmor profile that allow them (docker run --security-opt seccomp=unconfined "
            + "--security-opt apparmor=unconfined)";
    /**
     * How long the probe waits for a tool's answer or its trial job: 20 s on a machine with a core to
     * spare, longer as the load per core grows, up to 2 minutes. A fixed 20 s refused the sandbox,
     * and so the node's start, on a machine only busy (a restarted node at load 30 on 2 cores in the
     * kill storm: "it did not finish in 20 s").
     */
    private static final LoadScaledBudget TRY = new LoadScaledBudget(Duration.ofSeconds(20), Duration.ofMinutes(2));

    private SandboxProbe() {
    }

    /** The sandboxing launcher for this machine, or why there can't be one. */
    public static BwrapLauncher launcher() throws SandboxUnavailableException {
        CgroupV2.Detection cgroup = CgroupV2.detect();
        SandboxReport report = probe(HostView.real(), cgroup, SandboxLimits.forMachine(physicalMemory(), NodeLimits.own()));
        if (report.plan().isEmpty()) {
            throw new SandboxUnavailableException(report);
        }
        // A cgroup that failed to prepare left the plan on rlimits, and the launcher ignores it then.
        BwrapLauncher launcher = new BwrapLauncher(report.plan().get(), cgroup.cgroup(), HostView.real());
        if (report.subordinateUids()) {
            // The node's own namespace and helper, for its life: the trial's ended with the trial.
            try {
                return launcher.withSubordinateUids(SubordinateJobs.start(System.getProperty("user.name")));
            } catch (IOException | RuntimeException e) {
                throw new SandboxUnavailableException(ownLost(report, e));
            }
        }
        return launcher;
    }

    /**
     * {@code report} with its job user check failed and required: the trial ran a job as a subordinate uid,
     * so the volunteer was told {@code own}, but the node's own namespace or helper then failed to start.
     * The node refuses to run jobs rather than run strangers' code as the volunteer's own uid unseen (it
     * fell back to that before, saying so only in a log line); {@code rhizome node doctor} tries again.
     */
    static SandboxReport ownLost(SandboxReport report, Exception why) {
        List<SandboxReport.Check> checks = new ArrayList<>();
        for (SandboxReport.Check c : report.checks()) {
            checks.add(!c.name().equals(JOB_USER) ? c : new SandboxReport.Check(JOB_USER, false, true,
                    OWN_LOST + why.getMessage(), "run `rhizome node doctor`: once it says `own` again, start the node "
                            + "again; where it says `shared`, its remedy; or run the node as root"));
        }
        return new SandboxReport(checks, Optional.empty());
    }

    /** The machine's verdict, with limits sized from its memory. */
    public static SandboxReport probe() {
        long memory = physicalMemory();
        return probe(HostView.real(), CgroupV2.detect(), SandboxLimits.forMachine(memory, NodeLimits.own()));
    }

    public static SandboxReport probe(HostView host, CgroupV2.Detection cgroup, SandboxLimits limits) {
        return probe(host, cgroup, limits, SandboxProbe::onPath);
    }

    /** @param tools finds a program by name, as the PATH would */
    static SandboxReport probe(HostView host, CgroupV2.Detection cgroup, SandboxLimits limits,
            Function<String, Optional<Path>> tools) {
        List<SandboxReport.Check> checks = new ArrayList<>();
        Optional<Path> bwrap = tools.apply("bwrap");
        Optional<String> version = bwrap.flatMap(b -> output(List.of(b.toString(), "--version")).map(String::strip));
        checks.add(new SandboxReport.Check("bubblewrap", version.isPresent(), true,
                version.map(v -> v + " at " + bwrap.get()).orElse(bwrap.isPresent() ? bwrap.get() + " does not run"
                        : "bwrap is not on the PATH"), version.isPresent() ? "" : INSTALL_BWRAP));
        Optional<Path> prlimit = tools.apply("prlimit");
        checks.add(new SandboxReport.Check("prlimit", prlimit.isPresent(), true,
                prlimit.map(Path::toString).orElse("prlimit is not on the PATH"),
                prlimit.isPresent() ? "" : "install util-linux"));

        int uid;
        try {
            uid = JobDirs.myUid();
        } catch (IOException e) {
            uid = -1;
        }
        OptionalInt jobUid = uid == 0 ? OptionalInt.of(JobUids.uidOf(0)) : OptionalInt.empty();
        int jobUserAt = -1;
        Optional<Path> setpriv = tools.apply("setpriv");
        List<String> taken = jobUid.isPresent() ? JobUids.conflicts(host) : List.of();
        boolean jobUserOk = jobUid.isEmpty() || (setpriv.isPresent() && taken.isEmpty());
        if (jobUid.isPresent()) {
            checks.add(new SandboxReport.Check(JOB_USER, jobUserOk, true,
                    setpriv.isEmpty() ? "the node runs as root and setpriv, needed to run jobs as uids of their own, is missing"
                            : !taken.isEmpty() ? "the node runs as root, and the ids reserved for its jobs ("
                                    + JobUids.describe() + ") are in use: " + String.join("; ", taken.subList(0, Math.min(3, taken.size())))
                            : "own: the node runs as root, and each slot's jobs run as a uid of their own (" + JobUids.describe() + ")",
                    setpriv.isEmpty() ? "install util-linux (setpriv), or run the node as an ordinary user"
                            : !taken.isEmpty() ? "remove those users or groups, or stop those processes: the range is "
                                    + "reserved for the jobs of one node" : ""));
        } else {
            // Not required: jobs are still sandboxed, but what the kernel counts per uid is the volunteer's too.
            // Replaced by `own` below when the trial job ran as a subordinate uid through all of it.
            jobUserAt = checks.size();
            checks.add(new SandboxReport.Check(JOB_USER, false, false, "shared: jobs run as the node's uid " + uid
                    + " inside their own user namespace, so what the kernel counts per uid (tasks, pending signals, "
                    + "descriptors in flight over unix sockets, inotify instances, pipe pages) is shared with the node "
                    + "user's own programs; " + SubordinateIds.readiness(host, System.getProperty("user.name"), uid,
                            tools.apply("newuidmap").isPresent() && tools.apply("newgidmap").isPresent()),
                    SHARED_UID_FIX + "; or " + SubordinateIds.remedy(System.getProperty("user.name"))));
        }

        GpuPassthrough gpus = GpuPassthrough.discover(host);
        if (cgroup.cgroup().isPresent()) {
            try {
                cgroup.cgroup().get().prepare();
            } catch (IOException e) {
                cgroup = new CgroupV2.Detection(Optional.empty(), cgroup.detail() + ", but unusable: " + e.getMessage());
            }
        }
        SandboxPlan.MemoryLimit memory = cgroup.cgroup().isPresent() ? SandboxPlan.MemoryLimit.CGROUP
                : gpus.present() ? SandboxPlan.MemoryLimit.NONE : SandboxPlan.MemoryLimit.ADDRESS_SPACE;
        checks.add(new SandboxReport.Check("cgroup v2", cgroup.cgroup().isPresent(), false, cgroup.detail(),
                cgroup.cgroup().isPresent() ? "" : "for limits on a job's whole process tree, run the node in a delegated "
                        + "cgroup v2 (systemd-run --user -p Delegate=yes --scope rhizome node ...)"));
        checks.add(new SandboxReport.Check("memory limit", memory != SandboxPlan.MemoryLimit.NONE, false,
                switch (memory) {
                    case CGROUP -> mib(limits.memoryBytes()) + " for the job's whole tree (cgroup memory.max, no swap)";
                    case ADDRESS_SPACE -> mib(limits.addressSpaceBytes()) + " of address space per job process (RLIMIT_AS: "
                            + mib(limits.memoryBytes()) + " + " + mib(SandboxLimits.ADDRESS_SPACE_ALLOWANCE)
                            + " for reservations a JVM never touches); bounds each process, not the tree's sum";
                    case NONE -> "none for GPU jobs: the CUDA driver maps more address space than RLIMIT_AS could allow; "
                            + "only a cgroup v2 can bound their memory here (CPU jobs get " + mib(limits.addressSpaceBytes())
                            + " of address space per process)";
                }, ""));
        checks.add(new SandboxReport.Check("process limit", true, false, limits.processes() + " tasks per job (RLIMIT_NPROC "
                + "in the job's own user namespace" + (memory == SandboxPlan.MemoryLimit.CGROUP ? ", and cgroup pids.max" : "")
                + "; at most half the node's own RLIMIT_NPROC, and few enough to hold every standard signal within "
                + "half its RLIMIT_SIGPENDING, both counted for its uid on the host)",
                ""));
        checks.add(new SandboxReport.Check("gpus", true, false, gpus.present()
                ? gpus.gpuCount() + " GPU(s): devices " + gpus.devices() + ", driver libraries in " + gpus.libraryDirs()
                        + "; a GPU job is given its own GPU's device and entry of /proc/driver/nvidia/gpus, and the control "
                        + "devices but /dev/" + GpuPassthrough.DISPLAY_DEVICE + " (the displays')"
                : "no NVIDIA GPU (no /dev/nvidiactl and /dev/nvidiaN)", ""));
        Optional<SeccompFilter.Arch> arch = SeccompFilter.Arch.host();
        checks.add(new SandboxReport.Check("system calls", arch.isPresent(), false, arch.map(a -> a.deniedNames().size()
                        + " refused by a seccomp filter (" + String.join(", ", a.deniedNames().subList(0, 6)) + ", ...)")
                .orElse("no seccomp filter for this architecture (" + System.getProperty("os.arch") + ")"),
                arch.isPresent() ? "" : "jobs still run in the sandbox, with the kernel's full system call surface"));
        // What stat tells every job of the volunteer's use of its programs, which only the volunteer's mounts can stop.
        checks.add(AccessTimes.check(host.readText(Path.of("/proc/self/mountinfo")), AccessTimes.shown()));

        if (version.isEmpty() || prlimit.isEmpty() || !jobUserOk) {
            return new SandboxReport(checks, Optional.empty());
        }
        // Each job's own overlay of the directories every job sees, where bubblewrap offers one and a trial job
        // runs with it: a file lock there meets no other job's (SharedTrees). Else binds, as before 0.11.
        boolean offered = output(List.of(bwrap.get().toString(), "--help")).map(SharedTrees::offeredBy).orElse(false);
        SandboxPlan plan = new SandboxPlan(bwrap.get(), prlimit.get(), setpriv.orElse(null), jobUid, limits, memory, gpus,
                offered);
        Optional<Optional<String>> tried = Optional.empty();
        Optional<String> overlayFailure = Optional.empty();
        if (offered) {
            Optional<String> withOverlays = trial(plan, cgroup, host, Optional.empty());
            if (withOverlays.isEmpty()) {
                tried = Optional.of(withOverlays);
            } else {
                overlayFailure = withOverlays;
                plan = plan.withOverlays(false);
            }
        }
        checks.add(fileLocks(version.get(), offered, overlayFailure));
        // A node of an ordinary user: its jobs as subordinate uids when the trial runs through all of it.
        if (jobUid.isEmpty() && uid > 0 && tools.apply("newuidmap").isPresent() && tools.apply("newgidmap").isPresent()
                && tools.apply("nsenter").isPresent() && tools.apply("unshare").isPresent()) {
            String user = System.getProperty("user.name");
            Optional<String> subFailure;
            try (SubordinateJobs jobs = SubordinateJobs.start(user)) {
                subFailure = trial(plan, cgroup, host, Optional.of(jobs));
            } catch (IOException | RuntimeException e) {
                subFailure = Optional.of(String.valueOf(e.getMessage()));
            }
            if (subFailure.isEmpty()) {
                checks.set(jobUserAt, new SandboxReport.Check(JOB_USER, true, false, SUBORDINATE_OWN
                        + " (" + SubordinateIds.readiness(host, user, uid, true) + ")", ""));
            } else {
                SandboxReport.Check shared = checks.get(jobUserAt);
                // The ids are there and the trial failed: most often the JDK it binds is under a home others may
                // not pass, and giving the user ids again (the shared verdict's own remedy) would not help.
                Optional<String> jdk = JdkReach.remedy(JobRunner.javaHome());
                checks.set(jobUserAt, new SandboxReport.Check(JOB_USER, false, false, shared.detail()
                        + "; a trial job as a subordinate uid failed: " + subFailure.get(),
                        jdk.map(r -> r + "; or " + SHARED_UID_FIX).orElse(shared.fix())));
            }
        }
        // The trial uses every namespace at once; only when it fails is each tried alone, to say which one is missing.
        Optional<String> failure = tried.isPresent() ? tried.get() : trial(plan, cgroup, host, Optional.empty());
        List<String> asJobUser = new ArrayList<>();
        jobUid.ifPresent(u -> asJobUser.addAll(List.of(setpriv.get().toString(), "--reuid=" + u,
                "--regid=" + JobUids.gidFor(u), "--clear-groups", "--")));
        asJobUser.add(bwrap.get().toString());
        for (String[] ns : new String[][] {
            {"user namespace", "--unshare-user"},
            {"pid namespace", "--unshare-user", "--unshare-pid", "--proc", "/proc"},
            {"network namespace", "--unshare-user", "--unshare-net"},
        }) {
            Optional<String> nsFailure = Optional.empty();
            if (failure.isPresent()) {
                List<String> cmd = new ArrayList<>(asJobUser);
                cmd.addAll(List.of(ns).subList(1, ns.length));
                cmd.addAll(List.of("--ro-bind", "/", "/", "--", "/bin/true"));
                nsFailure = failure(cmd);
            }
            checks.add(new SandboxReport.Check(ns[0], nsFailure.isEmpty(), true,
                    nsFailure.map(f -> "bwrap " + String.join(" ", List.of(ns).subList(1, ns.length)) + " failed: " + f)
                            .orElse("available"), nsFailure.isEmpty() ? "" : ENABLE_USERNS));
        }
        checks.add(new SandboxReport.Check("sandboxed job", failure.isEmpty(), true,
                failure.map(f -> "a trial job failed: " + f).orElse("a trial job ran with a read-only system, private /tmp, "
                        + "its checkout writable and no network"), failure.isEmpty() ? "" : "fix the failed checks above; "
                        + "then `rhizome node doctor` tries again"));
        return new SandboxReport(checks, failure.isEmpty() ? Optional.of(plan) : Optional.empty());
    }

    static final String FILE_LOCKS = "file locks";

    /**
     * The doctor's check (never required: jobs run either way) of whether a job's file locks meet only its own:
     * passed where each job's shared directories are overlays of its own ({@link SharedTrees}).
     */
    static SandboxReport.Check fileLocks(String version, boolean offered, Optional<String> overlayFailure) {
        String devices = "; /dev's devices (/dev/null) stay the host's, lockable by every job";
        if (offered && overlayFailure.isEmpty()) {
            return new SandboxReport.Check(FILE_LOCKS, true, false, "each job's /usr, JDK and /etc are its own "
                    + "(overlays and copies): its file locks there meet no other job's nor the host's" + devices, "");
        }
        String why = offered ? "a trial job with overlays failed (" + overlayFailure.get() + ")"
                : version + " makes no overlays";
        return new SandboxReport.Check(FILE_LOCKS, false, false, why + ": jobs see the host's own files of /usr and "
                + "the JDK, so two jobs that run at once can signal each other by locking one, or a directory (flock, or "
                + "a POSIX read lock, which a read-only descriptor takes and another's test sees)" + devices,
                offered ? "see the trial's failure above; jobs run meanwhile with the host's files bound"
                        : "install bubblewrap 0.11 or later (its --ro-overlay)");
    }

    /** The trial's job directory: this prefix and the pid (its orphans are found by it). */
    private static final String TRIAL_PREFIX = "check-";

    /** Runs a command through the real launcher in a real checkout and checks what it could do. */
    private static Optional<String> trial(SandboxPlan plan, CgroupV2.Detection cgroup, HostView host,
            Optional<SubordinateJobs> subordinate) {
        Path root = null;
        BwrapLauncher trialLauncher = null;
        try {
            try {
                JobDirs.removeOrphans(TRIAL_PREFIX);
            } catch (IOException e) {
                // a killed probe's directory stays for a later probe; not the sandbox's failure
            }
            String name = TRIAL_PREFIX + ProcessHandle.current().pid();
            root = subordinate.isPresent() ? SubordinateOwnership.prepareJobDir(subordinate.get().namespace(), name)
                    : JobDirs.prepare(name);
            Path checkout = Files.createDirectory(root.resolve("checkout"));
            Path log = root.resolve("trial.log");
            // As slot 0 of a node: a uid of the range that no running node's slot holds.
            trialLauncher = subordinate.isPresent()
                    ? new BwrapLauncher(plan, cgroup.cgroup(), host).withSubordinateUids(subordinate.get()).forSlot(0)
                    : new BwrapLauncher(plan, cgroup.cgroup(), host).forSlot(0);
            Process p = trialLauncher.start(
                    List.of("/bin/sh", "-c", "echo ok > out && cat out && ! touch /usr/.rhizome-probe 2>/dev/null"),
                    // A subordinate uid's job binds the node's JDK as the runner's do: its uid and the jobs' group are
                    // neither the volunteer's, so a JDK under a 0750 home (~/.sdkman, ~/.jdks) is out of their reach, and
                    // the doctor says so here rather than every Java job failing later.
                    new Confinement(checkout, List.of(checkout), subordinate.isPresent() ? List.of(JobRunner.javaHome())
                            : List.of(), Map.of("PATH", "/usr/bin:/bin")),
                    Redirect.PIPE, Redirect.to(log.toFile()), Redirect.appendTo(log.toFile()));
            p.getOutputStream().close();
            try {
                long seconds = TRY.now().toSeconds();
                if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                    return Optional.of("it did not finish in " + seconds + " s");
                }
            } finally {
                p.destroyForcibly();
            }
            String out = Files.readString(log).strip();
            if (subordinate.isPresent() && p instanceof JobProcess job && job.endFailure().isPresent()) {
                return Optional.of("its checkout was not given back: " + job.endFailure().get());
            }
            if (subordinate.isPresent() && p.exitValue() == 0
                    && (Integer) Files.getAttribute(checkout.resolve("out"), "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS)
                            != JobDirs.myUid()) {
                return Optional.of("its checkout was not given back to the node");
            }
            return p.exitValue() == 0 && out.equals("ok") ? Optional.empty()
                    : Optional.of("exit " + p.exitValue() + (out.isEmpty() ? "" : ": " + out));
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        } finally {
            if (trialLauncher != null) {
                trialLauncher.releaseUid();
            }
            if (root != null) {
                try {
                    JobDirs.deleteTree(root);
                } catch (IOException ignored) {
                    // a temp dir left behind; the next probe of this pid empties it
                }
            }
        }
    }

    static Optional<Path> onPath(String name) {
        String path = System.getenv("PATH");
        List<String> dirs = new ArrayList<>(List.of((path == null ? "" : path).split(":")));
        dirs.addAll(List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin"));
        for (String dir : dirs) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p.toAbsolutePath());
                }
            }
        }
        return Optional.empty();
    }

    /** What a command printed when it failed, or empty when it succeeded. */
    private static Optional<String> failure(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
            }
            long seconds = TRY.now().toSeconds();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.of("no answer in " + seconds + " s");
            }
            return p.exitValue() == 0 ? Optional.empty() : Optional.of(out.isEmpty() ? "exit " + p.exitValue() : out);
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    private static Optional<String> output(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out;
            try (InputStream in = p.getInputStream()) {
                // Up to its end: a tool still writing is not done, and bubblewrap's --help is past 4 KiB since 0.11.
                out = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(TRY.now().toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            return p.exitValue() == 0 ? Optional.of(out) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static long physicalMemory() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return 4L << 30;
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
