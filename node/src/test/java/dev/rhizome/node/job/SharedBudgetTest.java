package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.proto.v1.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slots' jobs run at once, and what the kernel counts for the node's uid on the host is one
 * budget: two real jobs under the real sandbox, started together through a launcher shared two ways
 * (as a node of two slots shares its own), each trying to take everything, take no more together
 * than one job alone may. Each check failed before shares, when each job was sized as if alone.
 */
class SharedBudgetTest {
    /** A node whose limits are small enough that one job alone could take half of them. */
    private static final NodeLimits NODE = new NodeLimits(OptionalLong.of(120), OptionalLong.of(12_288));

    private static final NodeShare HALF = new NodeShare(2);

    @TempDir
    Path dataDir;

    private final String tag = UUID.randomUUID().toString().substring(0, 8);
    private final List<Path> jobDirs = new ArrayList<>();

    @AfterEach
    void cleanUp() throws IOException {
        for (Path dir : jobDirs) {
            JobDirs.deleteTree(dir);
        }
    }

    @Test
    void twoJobsAtOnceEachForkingAndHoldingSignalsTakeAtMostHalfOfTheNodesTasksAndWhatOneAloneMayHoldOfSignals()
            throws Exception {
        // Each forks what it may and has every task hold every standard signal: some 1,650 each, within
        // the 2,048 one job alone may hold before it is stopped, past the 1,024 of half of it.
        SandboxLimits alone = new SandboxLimits(512L << 20, SandboxLimits.tasksFor(NODE), 16L << 20);
        int share = 2 * alone.sharedBy(HALF, NODE).pendingSignals();
        assertThat(share).isEqualTo(PendingSignals.MAX_PENDING / 2);

        List<String> logs = runTogether(sandbox(NODE).shared(2), SandboxedJobs.script("signal-hoard.py"), 2,
                Map.of("HOARD_FORKS", "200", "HOARD_WAIT", "3"));

        int forked = 0;
        for (String log : logs) {
            assertThat(log).as(log).startsWith(Result.Status.CRASH + "\n").contains("FORK REFUSED 11")
                    .contains("it held more than " + share + " pending signals");
            forked += count(log, "FORKED");
            // Without shares each held them all (a SIGQ line of some 1,650 each, both OK).
            assertThat(log).doesNotContainPattern("(?m)^SIGQ (\\d{4,}|[2-9]\\d\\d\\d)");
        }
        assertThat(forked).as("both jobs' tasks, against half the node's RLIMIT_NPROC").isPositive()
                .isLessThan((int) (NODE.processes().getAsLong() / 2));
    }

    @Test
    void twoJobsAtOnceEachHoldingMoreThanItsShareOfMemoryMappingsAreBothStopped() throws Exception {
        // Two undumpable processes of some 40,000 mappings each (every other page of 20,000 given
        // another protection): within what one job alone may hold, past half of it. Both split at
        // once, so neither need finish before its job is stopped.
        String probe = """
                import ctypes, os, time
                libc = ctypes.CDLL(None, use_errno=True)
                libc.mmap.restype = ctypes.c_void_p
                libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
                PAGE = os.sysconf('SC_PAGE_SIZE')
                def split(n):
                    at = libc.mmap(None, 2 * n * PAGE, 3, 0x22, -1, 0)
                    return sum(1 for i in range(n) if libc.mprotect(ctypes.c_void_p(at + 2 * i * PAGE), PAGE, 1) == 0)
                for i in range(2):
                    if os.fork() == 0:
                        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
                        print('SPLIT', split(20000), flush=True)
                        time.sleep(120)
                        os._exit(0)
                time.sleep(120)
                """;
        assertThat(2 * 2 * 20_000).isLessThan(MemoryMappings.MAX_MAPPINGS).isGreaterThan(HALF.of(MemoryMappings.MAX_MAPPINGS, MemoryMappings.MIN_SHARE));

        List<String> logs = runTogether(sandbox(NodeLimits.UNLIMITED).shared(2), probe, 2);

        for (String log : logs) {
            assertThat(log).as(log).startsWith(Result.Status.CRASH + "\n");
            assertThat(log).contains("it held more than " + HALF.of(MemoryMappings.MAX_MAPPINGS, MemoryMappings.MIN_SHARE)
                    + " memory mappings");
        }
    }

    @Test
    void twoJobsAtOnceEachHoldingMoreThanItsShareOfPipesAreBothStopped() throws Exception {
        // Pipes take the pipe pages of the uid the slots' jobs share on the host: 200 each, within what
        // one job alone may hold, would be 400 together.
        int pipes = HeldDescriptors.MAX_PIPES - 56;
        String probe = """
                import os, time
                held = [os.pipe() for i in range(%d)]
                print('PIPES', len(held), flush=True)
                time.sleep(120)
                """.formatted(pipes);
        int share = HALF.of(HeldDescriptors.MAX_PIPES, HeldDescriptors.MIN_PIPES);
        assertThat(pipes).isGreaterThan(share);

        List<String> logs = runTogether(sandbox(NodeLimits.UNLIMITED).shared(2), probe, 2);

        for (String log : logs) {
            // Stopped past its share, perhaps before it had made them all (the node looks once a second).
            assertThat(log).as(log).startsWith(Result.Status.CRASH + "\n")
                    .contains("it held more than " + share + " pipes");
        }
    }

    @Test
    void eachShareIsAWaysthOfTheBudgetSizedFromTheNodesLimitsAsForThatManyJobs() {
        SandboxLimits whole = new SandboxLimits(8L << 30, SandboxLimits.tasksFor(NODE), 1L << 30);
        SandboxLimits half = whole.sharedBy(HALF, NODE);

        assertThat(half.memoryBytes()).isEqualTo(4L << 30);
        assertThat(half.tmpBytes()).isEqualTo(512L << 20);
        assertThat(half.pendingSignals()).as("each job's RLIMIT_SIGPENDING").isEqualTo(BwrapCommand.PENDING_SIGNALS / 2);
        assertThat(whole.processes()).as("alone: half of 120").isEqualTo(60);
        assertThat(half.processes()).as("a quarter of 120 each").isEqualTo(30);
        // Signals bind where the node's RLIMIT_SIGPENDING is small: each job's own 1,024 real-time ones
        // count once per job, so a share has fewer tasks than half of one job's.
        NodeLimits fewSignals = new NodeLimits(OptionalLong.empty(), OptionalLong.of(16_384));
        int alone = SandboxLimits.tasksFor(fewSignals);
        int shared = new SandboxLimits(8L << 30, alone, 1L << 30).sharedBy(HALF, fewSignals).processes();
        assertThat(shared).isLessThan(alone / 2);
        assertThat(2 * (BwrapCommand.PENDING_SIGNALS + shared * PendingSignals.STANDARD_PER_TASK))
                .isLessThanOrEqualTo(16_384 / 2);
        // Floors: never under what a job needs to start, never above the budget shared.
        SandboxLimits small = new SandboxLimits(300L << 20, 10, 20L << 20).sharedBy(new NodeShare(64), NODE);
        assertThat(small.memoryBytes()).isEqualTo(SandboxLimits.MIN_SHARED_MEMORY);
        assertThat(small.tmpBytes()).isEqualTo(SandboxLimits.MIN_SHARED_TMP);
        assertThat(small.processes()).isEqualTo(SandboxLimits.MIN_PROCESSES);
        assertThat(small.pendingSignals()).isEqualTo(SandboxLimits.MIN_SHARED_SIGNALS);
        SandboxLimits tiny = new SandboxLimits(64L << 20, 8, 2L << 20).sharedBy(new NodeShare(4), NODE);
        assertThat(tiny).isEqualTo(new SandboxLimits(64L << 20, 8, 2L << 20, BwrapCommand.PENDING_SIGNALS / 4));
        assertThatThrownBy(() -> new NodeShare(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one job, not 0");
        assertThat(new NodeShare(3).of(MemoryMappings.MAX_MAPPINGS, MemoryMappings.MIN_SHARE))
                .isEqualTo(MemoryMappings.MAX_MAPPINGS / 3);
        assertThat(new NodeShare(1000).of(HeldDescriptors.MAX_PIPES, HeldDescriptors.MIN_PIPES))
                .isEqualTo(HeldDescriptors.MIN_PIPES);
    }

    @Test
    void aLauncherSharedTwiceIsSharedByTheProductAndThePlainLauncherHasNothingToShare() throws Exception {
        SandboxPlan plan = new SandboxPlan(Path.of("/usr/bin/bwrap"), Path.of("/usr/bin/prlimit"), null,
                OptionalInt.empty(), new SandboxLimits(8L << 30, SandboxLimits.tasksFor(NODE), 1L << 30),
                SandboxPlan.MemoryLimit.ADDRESS_SPACE, GpuPassthrough.NONE);
        BwrapLauncher whole = new BwrapLauncher(plan, Optional.empty(), HostView.real(), NODE);

        assertThat(whole.shared(2).shared(2).plan().limits()).isEqualTo(plan.limits().sharedBy(new NodeShare(4), NODE));
        // What a share's job is held to, as doctor prints it (its RLIMIT_SIGPENDING: BwrapCommandTest).
        JobBudget quarter = whole.shared(4).budget();
        assertThat(quarter.maxPendingSignals()).isEqualTo(PendingSignals.MAX_PENDING / 4);
        assertThat(quarter.mappings()).isEqualTo(MemoryMappings.MAX_MAPPINGS / 4);
        assertThat(quarter.limits()).isEqualTo(whole.shared(4).plan().limits());
        assertThat(JobBudget.forSlots(plan, 4).limits()).isEqualTo(plan.limits().sharedBy(new NodeShare(4), NodeLimits.own()));
        assertThat(whole.shared(1).plan()).isEqualTo(plan);
        PlainLauncher plain = new PlainLauncher();
        assertThat(plain.shared(3)).isSameAs(plain);
        assertThatThrownBy(() -> plain.shared(0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** This machine's sandbox with small limits, its tasks sized from {@code node}, for one job alone. */
    private static BwrapLauncher sandbox(NodeLimits node) {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 runs the probes");
        // At the test's own priority: what each job may take does not depend on its niceness, and at a
        // volunteer's nice 19 the jobs got next to nothing of a machine busy with the build's JVMs.
        return SandboxedJobs.atJobPriority(new SandboxLimits(512L << 20, SandboxLimits.tasksFor(node), 16L << 20), node)
                .atCallersPriority();
    }

    /**
     * Runs {@code python} as {@code jobs} jobs started together, each in a checkout of its own; each
     * one's outcome on a line, then its log.
     */
    private List<String> runTogether(ProcessLauncher launcher, String python, int jobs) throws Exception {
        return runTogether(launcher, python, jobs, Map.of());
    }

    private List<String> runTogether(ProcessLauncher launcher, String python, int jobs, Map<String, String> env)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(jobs);
        try {
            List<Future<String>> running = new ArrayList<>();
            for (int i = 0; i < jobs; i++) {
                Path dir = JobDirs.prepare("share-" + tag + "-" + i);
                jobDirs.add(dir);
                Path checkout = Files.createDirectory(dir.resolve("unit"));
                Files.writeString(checkout.resolve("probe.py"), python);
                Path log = dataDir.resolve("job-" + i + ".log");
                running.add(pool.submit(() -> {
                    JobOutcome outcome = new JobRunner(launcher).run(new JobSpec(checkout,
                            List.of("/bin/sh", "-c", "/usr/bin/python3 probe.py; echo 'val_bpb: 1.0'"), env,
                            Duration.ofMinutes(5), log, "val_bpb"), JobProgress.IGNORE);
                    String text = Files.readString(log);
                    return outcome.status() + "\n" + text;
                }));
            }
            List<String> logs = new ArrayList<>();
            for (Future<String> job : running) {
                logs.add(job.get());
            }
            return logs;
        } finally {
            pool.shutdownNow();
        }
    }

    private static int count(String log, String word) {
        Matcher m = Pattern.compile("(?m)^" + word + " (\\d+)").matcher(log);
        assertThat(m.find()).as(log).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
