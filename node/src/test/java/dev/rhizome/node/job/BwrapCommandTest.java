package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class BwrapCommandTest {
    private static final SandboxLimits LIMITS = new SandboxLimits(1L << 30, 512, 64L << 20);
    private static final Path CHECKOUT = Path.of("/tmp/rhizome-jobs-1000-abc/unit-1");
    private static final Confinement JOB = new Confinement(CHECKOUT, List.of(CHECKOUT),
            List.of(Path.of("/opt/jdk-17")), Map.of("HOME", CHECKOUT.toString()));

    static SandboxPlan plan(SandboxPlan.MemoryLimit memory, OptionalInt uid, GpuPassthrough gpus) {
        return new SandboxPlan(Path.of("/usr/bin/bwrap"), Path.of("/usr/bin/prlimit"), Path.of("/usr/bin/setpriv"), uid,
                LIMITS, memory, gpus);
    }

    private static final Path PASSWD = Path.of("/tmp/rhizome-seccomp-1-2/passwd-3.tmp");
    private static final Path GROUP = Path.of("/tmp/rhizome-seccomp-1-2/group-4.tmp");
    private static final Path BOOT_ID = Path.of("/tmp/rhizome-seccomp-1-2/boot-6.tmp");
    private static final Path HOSTS = Path.of("/tmp/rhizome-seccomp-1-2/hosts-7.tmp");
    private static final Path STAT = Path.of("/tmp/rhizome-seccomp-1-2/proc-8.tmp");
    private static final Path MEMINFO = Path.of("/tmp/rhizome-seccomp-1-2/proc-9.tmp");
    private static final Map<String, Path> VIEWS = new java.util.LinkedHashMap<>(Map.of(ProcViews.STAT, STAT));

    static {
        VIEWS.put(ProcViews.MEMINFO, MEMINFO);
    }
    private static final BwrapCommand.Inputs INPUTS = new BwrapCommand.Inputs(Optional.empty(), PASSWD, GROUP,
            BOOT_ID, HOSTS, VIEWS, Optional.empty());

    private static List<String> argv(SandboxPlan plan, HostView host) {
        return BwrapCommand.argv(plan, List.of("java", "Train.java"), JOB, Optional.empty(), INPUTS, host);
    }

    /** From bubblewrap on: what the shell that opens the inputs runs. */
    private static List<String> fromBwrap(List<String> argv) {
        return argv.subList(argv.indexOf("/usr/bin/bwrap"), argv.size());
    }

    /** The (option, source, destination) mounts of a command line, as "option source dest" strings. */
    private static List<String> mounts(List<String> argv) {
        List<String> mounts = new ArrayList<>();
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (List.of("--ro-bind", "--ro-bind-try", "--bind", "--dev-bind", "--symlink", "--ro-bind-data").contains(a)) {
                mounts.add(a + " " + argv.get(i + 1) + " " + argv.get(i + 2));
            }
        }
        return mounts;
    }

    @Test
    void aDataDirectoryUnderWhatEveryJobSeesIsNamedAndOneElsewhereIsNot() {
        SandboxPlan plan = plan(SandboxPlan.MemoryLimit.ADDRESS_SPACE, OptionalInt.empty(), GpuPassthrough.NONE);
        FakeHost host = FakeHost.debian();

        assertThat(BwrapCommand.shownToEveryJob(Path.of("/usr/local/var/rhizome"), plan.gpus(), host)).hasValue(Path.of("/usr"));
        assertThat(BwrapCommand.shownToEveryJob(Path.of("/etc/python3.11/rhizome"), plan.gpus(), host))
                .hasValue(Path.of("/etc/python3.11"));
        assertThat(BwrapCommand.shownToEveryJob(JobRunner.javaHome().resolve("rhizome"), plan.gpus(), host))
                .hasValueSatisfying(shown -> assertThat(JobRunner.javaHome().toAbsolutePath()).startsWith(shown));
        assertThat(BwrapCommand.shownToEveryJob(Path.of("/home/alice/.rhizome"), plan.gpus(), host)).isEmpty();
        assertThat(BwrapCommand.shownToEveryJob(Path.of("/usrdata/rhizome"), plan.gpus(), host)).isEmpty();
        assertThat(BwrapCommand.shownToEveryJob(Path.of("/etc/rhizome"), plan.gpus(), host)).isEmpty();
    }

    @Test
    void aShareOfTheNodesBudgetSetsItsOwnPartOfThePendingSignals() {
        SandboxPlan whole = plan(SandboxPlan.MemoryLimit.ADDRESS_SPACE, OptionalInt.empty(), GpuPassthrough.NONE);
        SandboxPlan quarter = whole.withLimits(LIMITS.sharedBy(new NodeShare(4), NodeLimits.UNLIMITED));

        assertThat(argv(whole, FakeHost.debian())).contains("--sigpending=" + BwrapCommand.PENDING_SIGNALS);
        assertThat(argv(quarter, FakeHost.debian())).contains("--sigpending=" + BwrapCommand.PENDING_SIGNALS / 4)
                .doesNotContain("--sigpending=" + BwrapCommand.PENDING_SIGNALS);
    }

    @Test
    void aJobSeesTheSystemReadOnlyItsCheckoutWritableAndNothingElse() {
        List<String> argv = argv(plan(SandboxPlan.MemoryLimit.ADDRESS_SPACE, OptionalInt.empty(), GpuPassthrough.NONE),
                FakeHost.debian());

        assertThat(argv.subList(0, 8)).containsExactly("/bin/sh", "-c",
                BwrapCommand.OOM_FIRST + "exec 7<\"$1\" 6<\"$2\" 5<\"$3\" 4<\"$4\" && shift 4 && exec \"$@\"", "rhizome-sandbox",
                PASSWD.toString(), GROUP.toString(), BOOT_ID.toString(), HOSTS.toString());
        assertThat(argv.get(8)).isEqualTo("/usr/bin/bwrap");
        assertThat(argv).contains("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
                "--new-session", "--as-pid-1");
        assertThat(String.join(" ", argv)).contains("--cap-drop ALL", "--proc /proc", "--dev /dev",
                "--size " + (64L << 20) + " --tmpfs /tmp", "--size " + (64L << 20) + " --tmpfs /dev/shm",
                "--dev /dev --tmpfs /dev/pts",
                "--remount-ro /proc --remount-ro /dev/pts --remount-ro /dev --remount-ro / --chdir /job --");
        // Nothing is mounted after /proc, the unsized root and /dev are made read-only.
        assertThat(argv.indexOf("--remount-ro")).isGreaterThan(argv.lastIndexOf("--bind"))
                .isGreaterThan(argv.lastIndexOf("--ro-bind")).isGreaterThan(argv.lastIndexOf("--tmpfs"));
        assertThat(mounts(argv)).containsExactly(
                "--ro-bind /usr /usr",
                "--symlink usr/bin /bin", "--symlink usr/sbin /sbin", "--symlink usr/lib /lib", "--symlink usr/lib64 /lib64",
                "--ro-bind-try /etc/ld.so.cache /etc/ld.so.cache", "--ro-bind-try /etc/ld.so.conf /etc/ld.so.conf",
                "--ro-bind-try /etc/alternatives /etc/alternatives",
                "--ro-bind-data 7 /etc/passwd", "--ro-bind-data 6 /etc/group", "--ro-bind-data 4 /etc/hosts",
                "--ro-bind-try /etc/java-17-openjdk /etc/java-17-openjdk", "--ro-bind-try /etc/python3.11 /etc/python3.11",
                "--ro-bind /dev/null /proc/1/mem", "--ro-bind /dev/null /proc/1/task/1/mem",
                "--ro-bind /dev/null /proc/keys", // a kernel with keyrings; /proc/key-users is not on this host
                // copies made at the start (ProcViews): /proc/stat without the interrupt lines' counts, ...
                "--ro-bind " + STAT + " /proc/stat", "--ro-bind " + MEMINFO + " /proc/meminfo",
                "--ro-bind-data 5 /proc/sys/kernel/random/boot_id",
                "--bind " + CHECKOUT + " /job", // its host path named the node's temporary directory, uid and job directory
                "--ro-bind /opt/jdk-17 /opt/jdk-17");
        assertThat(String.join(" ", argv)).doesNotContain("/etc/shadow", "/etc/ssh", "/home", "/root", "/dev/sda",
                "--share-net", "setpriv");
    }

    @Test
    void localProgramsConfigurationIsAnEmptyReadOnlyTmpfsUnlessALinkLeadsThere() {
        SandboxPlan plan = plan(SandboxPlan.MemoryLimit.ADDRESS_SPACE, OptionalInt.empty(), GpuPassthrough.NONE);
        String argv = String.join(" ", argv(plan, FakeHost.debian().file("/usr/local", "/usr/local/etc")));
        assertThat(argv).contains("--tmpfs /usr/local/etc ", "--remount-ro /usr/local/etc ");
        // Over /usr once it is bound, and read-only once nothing more is mounted.
        assertThat(argv.indexOf("--tmpfs /usr/local/etc")).isGreaterThan(argv.indexOf("--ro-bind /usr /usr"));
        assertThat(argv.indexOf("--remount-ro /usr/local/etc")).isGreaterThan(argv.lastIndexOf("--bind"));
        // None there, or a /usr/local that leads elsewhere (bubblewrap would follow it to a place the job's root lacks).
        assertThat(String.join(" ", argv(plan, FakeHost.debian()))).doesNotContain("/usr/local/etc");
        assertThat(String.join(" ", argv(plan, FakeHost.debian().link("/usr/local", "/opt/local").file("/usr/local/etc"))))
                .doesNotContain("/usr/local/etc");
    }

    @Test
    void theCheckoutIsMountedAfterTheTmpfsThatWouldHideIt() {
        List<String> argv = argv(plan(SandboxPlan.MemoryLimit.ADDRESS_SPACE, OptionalInt.empty(), GpuPassthrough.NONE),
                FakeHost.debian());

        assertThat(argv.indexOf("--bind")).isGreaterThan(argv.indexOf("--tmpfs"));
    }

    @Test
    void limitsAreSetInsideTheSandboxRightBeforeTheJob() {
        List<String> rlimit = argv(plan(SandboxPlan.MemoryLimit.ADDRESS_SPACE, OptionalInt.empty(), GpuPassthrough.NONE),
                FakeHost.debian());
        List<String> cgroup = argv(plan(SandboxPlan.MemoryLimit.CGROUP, OptionalInt.empty(), GpuPassthrough.NONE),
                FakeHost.debian());

        assertThat(rlimit.subList(rlimit.indexOf("/usr/bin/prlimit"), rlimit.size())).containsExactly("/usr/bin/prlimit",
                "--nproc=512", "--core=0", "--rtprio=0", "--nice=0", "--nofile=4096", "--sigpending=1024", "--msgqueue=0", "--memlock=8388608", "--as=" + ((1L << 30) + SandboxLimits.ADDRESS_SPACE_ALLOWANCE),
                "--", "java", "Train.java");
        assertThat(cgroup.subList(cgroup.indexOf("/usr/bin/prlimit"), cgroup.size())).containsExactly("/usr/bin/prlimit",
                "--nproc=512", "--core=0", "--rtprio=0", "--nice=0", "--nofile=4096", "--sigpending=1024", "--msgqueue=0", "--memlock=8388608", "--", "java", "Train.java");
    }

    @Test
    void aRootNodeDropsTheJobToNobodyAndACgroupIsJoinedFirst() {
        List<String> argv = BwrapCommand.argv(plan(SandboxPlan.MemoryLimit.CGROUP, OptionalInt.of(65534), GpuPassthrough.NONE),
                List.of("true"), JOB, Optional.of(Path.of("/sys/fs/cgroup/job-1/cgroup.procs")), INPUTS, FakeHost.debian());

        assertThat(argv.subList(8, 18)).containsExactly("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                "/sys/fs/cgroup/job-1/cgroup.procs", "/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", "--", "/usr/bin/bwrap");
    }

    /**
     * Round 38: a slot's jobs start on its CPUs through {@code taskset}, once in the job's cgroup (moving a task into a
     * cgroup of another cpuset reset its affinity to that cpuset's CPUs before Linux 6.2) and before the uid drops.
     */
    @Test
    void aSlotsCpusAreSetAfterTheCgroupIsJoinedAndBeforeTheJobsUid() {
        List<String> argv = BwrapCommand.argv(plan(SandboxPlan.MemoryLimit.CGROUP, OptionalInt.of(65534), GpuPassthrough.NONE),
                List.of("true"), JOB, Optional.of(Path.of("/sys/fs/cgroup/job-1/cgroup.procs")), INPUTS, FakeHost.debian(),
                List.of(), CpuShare.parse("2-3").pinning(Path.of("/usr/bin/taskset"), List.of()));

        assertThat(argv.subList(8, 21)).containsExactly("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                "/sys/fs/cgroup/job-1/cgroup.procs", "/usr/bin/taskset", "-c", "2-3", "/usr/bin/setpriv", "--reuid=65534",
                "--regid=65534", "--clear-groups", "--", "/usr/bin/bwrap");
    }

    @Test
    void theSeccompProgramReachesBubblewrapOnItsOwnDescriptorBeforeAnythingElseRuns() {
        List<String> argv = BwrapCommand.argv(plan(SandboxPlan.MemoryLimit.CGROUP, OptionalInt.of(65534), GpuPassthrough.NONE),
                List.of("true"), JOB, Optional.of(Path.of("/sys/fs/cgroup/job-1/cgroup.procs")),
                new BwrapCommand.Inputs(Optional.of(Path.of("/tmp/filter.bpf")), PASSWD, GROUP, BOOT_ID, HOSTS, VIEWS,
                        Optional.empty()),
                FakeHost.debian());

        assertThat(argv.subList(0, 9)).containsExactly("/bin/sh", "-c",
                BwrapCommand.OOM_FIRST + "exec 9<\"$1\" 7<\"$2\" 6<\"$3\" 5<\"$4\" 4<\"$5\" && shift 5 && exec \"$@\"", "rhizome-sandbox",
                "/tmp/filter.bpf", PASSWD.toString(), GROUP.toString(), BOOT_ID.toString(), HOSTS.toString());
        assertThat(argv.subList(argv.indexOf("/usr/bin/bwrap"), argv.indexOf("/usr/bin/bwrap") + 3))
                .containsExactly("/usr/bin/bwrap", "--seccomp", "9");
        assertThat(argv.subList(9, 11)).containsExactly("/bin/sh", "-c"); // then the cgroup is joined, as without it
    }

    @Test
    void bubblewrapReadsItsArgumentsFromADescriptorSoThatPid1RevealsNoPath() {
        SandboxPlan plan = plan(SandboxPlan.MemoryLimit.ADDRESS_SPACE, OptionalInt.of(65534), GpuPassthrough.NONE);
        Path args = Path.of("/tmp/rhizome-seccomp-1-2/args-5.tmp");
        List<String> argv = BwrapCommand.argv(plan, List.of("java", "Train.java"), JOB, Optional.empty(),
                new BwrapCommand.Inputs(Optional.of(Path.of("/tmp/filter.bpf")), PASSWD, GROUP, BOOT_ID, HOSTS, VIEWS,
                        Optional.of(args)),
                FakeHost.debian());

        assertThat(argv.get(2)).isEqualTo(BwrapCommand.OOM_FIRST + "exec 9<\"$1\" 8<\"$2\" 7<\"$3\" 6<\"$4\" 5<\"$5\" 4<\"$6\" && shift 6 && exec \"$@\"");
        assertThat(argv.get(5)).isEqualTo(args.toString());
        assertThat(fromBwrap(argv)).containsExactly("/usr/bin/bwrap", "--args", "8", "--", "/usr/bin/prlimit",
                "--nproc=512", "--core=0", "--rtprio=0", "--nice=0", "--nofile=4096", "--sigpending=1024", "--msgqueue=0", "--memlock=8388608", "--as=" + LIMITS.addressSpaceBytes(), "--", "java", "Train.java");
        assertThat(String.join(" ", argv)).doesNotContain(CHECKOUT.toString(), "--bind");

        List<String> options = BwrapCommand.options(plan, JOB, true, FakeHost.debian(), VIEWS);
        assertThat(options.subList(0, 2)).containsExactly("--seccomp", "9");
        assertThat(options.subList(options.size() - 2, options.size())).containsExactly("--chdir", "/job");
        assertThat(BwrapCommand.arguments(plan, List.of("java", "Train.java"), JOB, true, FakeHost.debian(), VIEWS))
                .startsWith(options.toArray(String[]::new)).endsWith("--", "java", "Train.java");
        assertThat(new String(BwrapCommand.argumentsFile(List.of("--bind", "/a b", "/c")), StandardCharsets.UTF_8))
                .isEqualTo("--bind\0/a b\0/c\0");
        assertThatThrownBy(() -> BwrapCommand.argumentsFile(List.of("a\0b"))).hasMessageContaining("NUL");
    }

    @Test
    void theJobsPasswdAndGroupNameOnlyRootNobodyAndItself() {
        // Loopback by the names programs resolve: no name resolved inside before.
        assertThat(BwrapCommand.hosts()).isEqualTo("127.0.0.1\tlocalhost rhizome-job\n"
                + "::1\tlocalhost ip6-localhost ip6-loopback rhizome-job\n");
        assertThat(BwrapCommand.passwd(65534, 65534)).isEqualTo("root:x:0:0:root:/root:/usr/sbin/nologin\n"
                + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        assertThat(BwrapCommand.passwd(1000, 1001)).endsWith("\nrhizome:x:1000:1001::/tmp:/bin/sh\n").hasLineCount(3);
        assertThat(BwrapCommand.group(65534)).isEqualTo("root:x:0:\nnogroup:x:65534:\n");
        assertThat(BwrapCommand.group(1001)).isEqualTo("root:x:0:\nnogroup:x:65534:\nrhizome:x:1001:\n");
    }

    @Test
    void theJobsPathKeepsOnlyDirectoriesThatExistInside() {
        Confinement job = new Confinement(CHECKOUT, List.of(CHECKOUT), List.of(Path.of("/opt/jdk-17")),
                Map.of("PATH", "/home/alice/.cargo/bin:/opt/jdk-17/bin:/usr/local/bin:/usr/bin:relative::/bin:/usr/bin",
                        "LANG", "C.UTF-8"));

        assertThat(BwrapCommand.environment(job)).containsEntry("PATH", "/opt/jdk-17/bin:/usr/local/bin:/usr/bin:/bin")
                .containsEntry("LANG", "C.UTF-8");
        assertThat(BwrapCommand.environment(new Confinement(CHECKOUT, List.of(), List.of(), Map.of("PATH", "/root/bin"))))
                .containsEntry("PATH", BwrapCommand.DEFAULT_PATH);
        assertThat(BwrapCommand.environment(new Confinement(CHECKOUT, List.of(), List.of(), Map.of()))).doesNotContainKey("PATH");
    }

    @Test
    void aMachineWithoutMergedUsrHasItsLibraryDirectoriesBound() {
        FakeHost old = new FakeHost().file("/usr", "/bin", "/lib", "/lib64", "/etc/ld.so.cache");

        List<String> argv = argv(plan(SandboxPlan.MemoryLimit.ADDRESS_SPACE, OptionalInt.empty(), GpuPassthrough.NONE), old);

        assertThat(mounts(argv)).startsWith("--ro-bind /usr /usr", "--ro-bind /bin /bin", "--ro-bind /lib /lib",
                "--ro-bind /lib64 /lib64", "--ro-bind-try /etc/ld.so.cache /etc/ld.so.cache");
        assertThat(String.join(" ", argv)).doesNotContain("/sbin", "--symlink");
    }

    @Test
    void gpusArePassedAsTheirDeviceNodesAndDriverLibrariesOutsideUsr() {
        FakeHost gpuBox = FakeHost.debian()
                .file("/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
                        "/dev/nvidia-modeset", "/dev/nvidia-caps", "/dev/nvme0n1", "/dev/nvidia-foo")
                .library("/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                        "/opt/nvidia/driver/lib64/libnvidia-ml.so.1", "/opt/nvidia/driver/lib64/libnvidia-ptxjitcompiler.so.1",
                        "/opt/cuda/lib64/libcudart.so.12");

        GpuPassthrough gpus = GpuPassthrough.discover(gpuBox);
        Confinement secondGpusJob = new Confinement(CHECKOUT, List.of(CHECKOUT), List.of(),
                Map.of("RHIZOME_GPU_INDEX", "1", "CUDA_VISIBLE_DEVICES", "GPU-bbbb"));
        List<String> argv = BwrapCommand.argv(plan(SandboxPlan.MemoryLimit.NONE, OptionalInt.empty(), gpus),
                List.of("python3", "train.py"), secondGpusJob, Optional.empty(), INPUTS, gpuBox);

        assertThat(gpus.gpuCount()).isEqualTo(2);
        assertThat(gpus.libraryDirs()).containsExactly(Path.of("/opt/nvidia/driver/lib64"),
                Path.of("/usr/lib/x86_64-linux-gnu"));
        assertThat(mounts(argv)).contains("--dev-bind /dev/nvidia-uvm /dev/nvidia-uvm",
                "--dev-bind /dev/nvidia1 /dev/nvidia1", "--dev-bind /dev/nvidiactl /dev/nvidiactl",
                "--ro-bind /opt/nvidia/driver/lib64 /opt/nvidia/driver/lib64");
        assertThat(String.join(" ", argv)).doesNotContain("nvme0n1", "nvidia-foo", "nvidia-modeset", "nvidia-caps", "nvidia-uvm-tools", "/opt/cuda", "--as=",
                "--ro-bind /usr/lib/x86_64-linux-gnu", "/dev/nvidia0", "--setenv");
        assertThat(String.join(" ", argv(plan(SandboxPlan.MemoryLimit.NONE, OptionalInt.empty(), gpus), gpuBox)))
                .as("a job with no GPU of its own gets no NVIDIA device or driver library, and its address space is bounded")
                .doesNotContain("/dev/nvidia", "/opt/nvidia").contains("--as=" + LIMITS.addressSpaceBytes());
    }

    @Test
    void theDriversDirectoriesOfProcAreEmptyAndAGpuJobKeepsOnlyTheNvidiaDriversOwn() {
        FakeHost gpuBox = FakeHost.debian()
                .file("/dev/nvidia0", "/dev/nvidiactl", "/proc/asound", "/proc/acpi", "/proc/bus", "/proc/tty",
                        "/proc/driver", "/proc/driver/rtc", "/proc/driver/nvidia");
        GpuPassthrough gpus = GpuPassthrough.discover(gpuBox);
        SandboxPlan plan = plan(SandboxPlan.MemoryLimit.NONE, OptionalInt.empty(), gpus);
        Confinement gpuJob = new Confinement(CHECKOUT, List.of(CHECKOUT), List.of(), Map.of("RHIZOME_GPU_INDEX", "0"));

        String cpu = String.join(" ", argv(plan, gpuBox));
        String gpu = String.join(" ", BwrapCommand.argv(plan, List.of("python3", "train.py"), gpuJob, Optional.empty(),
                INPUTS, gpuBox));

        for (String dir : List.of("/proc/asound", "/proc/acpi", "/proc/bus", "/proc/tty")) {
            assertThat(cpu).contains("--tmpfs " + dir + " ", "--remount-ro " + dir + " ");
            assertThat(gpu).contains("--tmpfs " + dir + " ", "--remount-ro " + dir + " ");
        }
        assertThat(cpu).as("a job without a GPU sees no driver's entries").contains("--tmpfs /proc/driver ",
                "--remount-ro /proc/driver ").doesNotContain("/proc/driver/rtc");
        assertThat(gpu).as("the CUDA driver reads the NVIDIA driver's; the clock chip's alarm is hidden")
                .doesNotContain("--tmpfs /proc/driver ").contains("--ro-bind /dev/null /proc/driver/rtc");
        assertThat(String.join(" ", argv(plan, FakeHost.debian()))).as("nothing to mount over where /proc lacks them")
                .doesNotContain("/proc/asound", "/proc/driver", "/proc/scsi");
    }

    @Test
    void noGpuWithoutBothAControlDeviceAndAGpuDevice() {
        assertThat(GpuPassthrough.discover(FakeHost.debian().file("/dev/nvidiactl")).present()).isFalse();
        assertThat(GpuPassthrough.discover(FakeHost.debian().file("/dev/nvidia0")).present()).isFalse();
        assertThat(GpuPassthrough.discover(FakeHost.debian()).present()).isFalse();
    }

    @Test
    void ldconfigOutputIsReadIntoLibraryPaths() {
        String out = """
                1234 libs found in cache `/etc/ld.so.cache'
                	libcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1
                	libc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6
                Cache generated by: ldconfig (GNU libc) stable release version 2.36
                """;

        assertThat(HostView.parseLdconfig(out)).containsExactly(Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1"),
                Path.of("/lib/x86_64-linux-gnu/libc.so.6"));
    }

    @Test
    void limitsRefuseNonsense() {
        assertThatThrownBy(() -> new SandboxLimits(1 << 20, 512, 1 << 20)).hasMessageContaining("memory");
        assertThatThrownBy(() -> new SandboxLimits(1L << 30, 2, 1 << 20)).hasMessageContaining("process");
        assertThat(SandboxLimits.forMachine(16L << 30, NodeLimits.UNLIMITED).memoryBytes()).isEqualTo(12L << 30);
    }
}
