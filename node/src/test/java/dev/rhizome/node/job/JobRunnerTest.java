package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.proto.v1.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobRunnerTest {
    @TempDir
    Path dir;

    private final List<String> lines = new CopyOnWriteArrayList<>();
    /**
     * At the test's own priority: what the runner does with a job does not depend on it, and a job
     * at a node's (nice 19, idle I/O) got next to nothing of a machine busy with builds (SandboxTest
     * checks that priority).
     */
    private final PlainLauncher launcher = PlainLauncher.atCallersPriority();

    @Test
    void javaJobWithMetricIsOkAndRunsInAScrubbedEnvironment() throws Exception {
        Files.writeString(dir.resolve("Job.java"), """
                import java.util.TreeSet;
                public class Job {
                    public static void main(String[] args) {
                        System.out.println("step 1/2 loss 2.0");
                        System.err.println("a warning on stderr");
                        System.err.flush();
                        System.out.println("env " + new TreeSet<>(System.getenv().keySet()));
                        System.out.println("home " + System.getenv("HOME"));
                        System.out.println("---");
                        System.out.println("val_bpb: 1.250000");
                        System.out.println("num_steps: " + System.getenv("RHIZOME_STEPS"));
                    }
                }
                """);
        JobSpec spec = new JobSpec(dir, List.of("java", "Job.java"), Map.of("RHIZOME_STEPS", "7"),
                JobBudgets.ENDS_BY_ITSELF, dir.resolve("logs/job.log"), "val_bpb");

        JobOutcome outcome = new JobRunner(launcher).run(spec, lines::add);

        assertThat(outcome.status()).isEqualTo(Result.Status.OK);
        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.metric()).hasValue(1.25);
        assertThat(outcome.steps()).hasValue(7);
        assertThat(lines).contains("a warning on stderr", "home " + dir.toAbsolutePath())
                .containsSubsequence("step 1/2 loss 2.0", "---", "val_bpb: 1.250000", "num_steps: 7");
        String env = lines.stream().filter(l -> l.startsWith("env ")).findFirst().orElseThrow();
        assertThat(env.substring(5, env.length() - 1).split(", "))
                .contains("HOME", "PATH", "RHIZOME_STEPS")
                .isSubsetOf("HOME", "PATH", "LANG", "RHIZOME_STEPS");
        byte[] log = Files.readAllBytes(spec.logFile());
        // standard output as it came, then standard error after the node's line (job.StreamLogs)
        List<String> stdout = lines.stream().filter(l -> !l.equals("a warning on stderr")).toList();
        assertThat(String.join("\n", stdout) + "\n" + StreamLogs.STDERR_HEADING + "\na warning on stderr\n")
                .isEqualTo(new String(log, StandardCharsets.UTF_8));
        assertThat(outcome.logSha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(log));
    }

    @Test
    void nonZeroExitIsACrashEvenWithAMetric() throws Exception {
        JobOutcome outcome = run("echo 'val_bpb: 1.5'; exit 3", JobBudgets.ENDS_BY_ITSELF);

        assertThat(outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(outcome.exitCode()).isEqualTo(3);
        assertThat(outcome.metric()).isEmpty();
    }

    @Test
    void cleanExitWithoutAMetricIsACrash() throws Exception {
        JobOutcome outcome = run("echo 'num_steps: 12'; printf 'no line break at the end'", JobBudgets.ENDS_BY_ITSELF);

        assertThat(outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.steps()).hasValue(12);
        assertThat(lines).containsExactly("num_steps: 12", "no line break at the end");
    }

    @Test
    void failAfterTheLastValueIsACrash() throws Exception {
        JobOutcome outcome = run("echo 'val_bpb: 2.0'; echo 'val_bpb: FAIL'", JobBudgets.ENDS_BY_ITSELF);

        assertThat(outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(outcome.metric()).isEmpty();
    }

    @Test
    void timeoutKillsTheJobAndItsDescendants() throws Exception {
        JobOutcome outcome = run("sleep 300 & echo \"pids $$ $!\"; wait", Duration.ofSeconds(1));

        assertThat(outcome.status()).isEqualTo(Result.Status.TIMEOUT);
        // killed at its budget, long before its sleep's end, however late a loaded machine kills it
        assertThat(outcome.runtimeMs()).isBetween(1000L, 120_000L);
        assertThat(outcome.metric()).isEmpty();
        assertThat(pids("pids")).hasSize(2).allSatisfy(pid -> assertThat(alive(pid)).as("pid %d alive", pid).isFalse());
    }

    @Test
    void descendantOrphanedByACleanExitIsKilledToo() throws Exception {
        JobOutcome outcome = run("sleep 300 & echo \"pids $!\"; sleep 0.5; echo 'val_bpb: 2.5'", JobBudgets.ENDS_BY_ITSELF);

        assertThat(outcome.status()).isEqualTo(Result.Status.OK);
        assertThat(outcome.metric()).hasValue(2.5);
        assertThat(alive(pids("pids").get(0))).isFalse();
    }

    @Test
    void interruptKillsTheJobAndIsRethrown() throws Exception {
        CompletableFuture<Long> started = new CompletableFuture<>();
        JobSpec spec = sh("echo \"pids $$\"; sleep 300", JobBudgets.ENDS_BY_ITSELF);
        CompletableFuture<Throwable> thrown = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                new JobRunner(launcher).run(spec, line -> started.complete(Long.parseLong(line.substring(5))));
                thrown.complete(null);
            } catch (Throwable t) {
                thrown.complete(t);
            }
        });
        caller.start();
        long pid = started.get(30, TimeUnit.SECONDS);

        caller.interrupt();

        assertThat(thrown.get(30, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
        assertThat(alive(pid)).isFalse();
    }

    @Test
    void outputPastTheLogLimitIsKilledAndCutAsACrash() throws Exception {
        // Bounded at 20 MB, so that a broken limit can't fill the disk; then held until stopped: a CRASH,
        // not the budget's TIMEOUT, is the limit's kill (a 30 s sleep and a runtime under 20 s read a
        // loaded machine as a broken limit).
        JobSpec spec = sh("yes 'val_bpb: 1.0' | head -c 20000000; sleep 3600", JobBudgets.ENDS_BY_ITSELF);

        JobOutcome outcome = new JobRunner(launcher, 10_000).run(spec, lines::add);

        assertThat(outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(Files.size(spec.logFile())).isEqualTo(10_000);
        assertThat(String.join("\n", lines)).hasSizeLessThanOrEqualTo(10_000);
    }

    @Test
    void writingPastTheWorkDirectoryBudgetIsKilledAsACrashAndTheLogSaysWhy() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        // At most 64 MiB, so that a broken limit can't fill the disk; then held until stopped: a CRASH,
        // not the budget's TIMEOUT, is the limit's kill.
        String script = "i=0; while [ $i -lt 64 ]; do head -c 1048576 /dev/zero > f$i; i=$((i+1)); done; "
                + "echo 'val_bpb: 1.0'; sleep 3600";
        JobSpec spec = new JobSpec(work, List.of("/bin/sh", "-c", script), Map.of(), JobBudgets.ENDS_BY_ITSELF,
                dir.resolve("job.log"), "val_bpb");

        JobOutcome outcome = new JobRunner(launcher, JobRunner.DEFAULT_MAX_LOG_BYTES, 8L << 20).run(spec, lines::add);

        assertThat(outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(Files.readString(spec.logFile()))
                .contains("rhizome: job stopped: it wrote more than 8 MiB to its work directory");
    }

    @Test
    void aJobThatWroteTooMuchAndEndedBeforeTheNextCheckStillCountsAsACrash() throws Exception {
        Path work = Files.createDirectories(dir.resolve("work"));
        JobSpec spec = new JobSpec(work, List.of("/bin/sh", "-c", "head -c 3000000 /dev/zero > big; echo 'val_bpb: 1.0'"),
                Map.of(), JobBudgets.ENDS_BY_ITSELF, dir.resolve("job.log"), "val_bpb");

        JobOutcome outcome = new JobRunner(launcher, JobRunner.DEFAULT_MAX_LOG_BYTES, 1L << 20).run(spec, lines::add);

        assertThat(outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(new JobRunner(launcher, JobRunner.DEFAULT_MAX_LOG_BYTES, 8L << 20).run(spec, lines::add).status())
                .as("the same job within its budget").isEqualTo(Result.Status.OK);
    }

    @Test
    void theSlotsJobsShareTheWorkDirectoryBudgetSoTwoTogetherWriteNoMoreThanOneAloneMay() throws Exception {
        // Two slots' jobs run at once on one disk: each had the whole budget (half of what was free at
        // its start), so two wrote twice it and three more than the disk had to spare.
        Path work = Files.createDirectories(dir.resolve("work"));
        JobSpec spec = new JobSpec(work, List.of("/bin/sh", "-c", "head -c 30000000 /dev/zero > big; echo 'val_bpb: 1.0'"),
                Map.of(), JobBudgets.ENDS_BY_ITSELF, dir.resolve("job.log"), "val_bpb");
        JobRunner alone = new JobRunner(launcher, JobRunner.DEFAULT_MAX_LOG_BYTES, 48L << 20);

        assertThat(alone.run(spec, lines::add).status()).as("within what one job alone may write").isEqualTo(Result.Status.OK);
        Files.delete(work.resolve("big"));
        JobOutcome shared = alone.shared(2).run(spec, lines::add);

        assertThat(shared.status()).isEqualTo(Result.Status.CRASH);
        assertThat(Files.readString(spec.logFile())).contains("it wrote more than 24 MiB to its work directory");
        // And the checkout a slot's job starts from is bounded by the same share, never below the floor.
        assertThat(alone.workBytesAt(work)).isEqualTo(48L << 20);
        assertThat(alone.shared(2).workBytesAt(work)).isEqualTo(24L << 20);
        assertThat(alone.shared(2).shared(2).workBytesAt(work)).isEqualTo(WorkDirBudget.FLOOR);
    }

    @Test
    void specRejectsAnEmptyCommandAndANonPositiveTimeout() {
        Path log = dir.resolve("job.log");
        assertThatThrownBy(() -> new JobSpec(dir, List.of(), Map.of(), Duration.ofSeconds(1), log, "val_bpb"))
                .hasMessageContaining("command");
        assertThatThrownBy(() -> new JobSpec(dir, List.of("true"), Map.of(), Duration.ZERO, log, "val_bpb"))
                .hasMessageContaining("timeout");
    }

    private JobOutcome run(String script, Duration timeout) throws IOException, InterruptedException {
        return new JobRunner(launcher).run(sh(script, timeout), lines::add);
    }

    private JobSpec sh(String script, Duration timeout) {
        return new JobSpec(dir, List.of("/bin/sh", "-c", script), Map.of(), timeout, dir.resolve("job.log"), "val_bpb");
    }

    /** The numbers on the progress line that starts with the given word. */
    private List<Long> pids(String word) {
        String line = lines.stream().filter(l -> l.startsWith(word + " ")).findFirst().orElseThrow();
        Matcher m = Pattern.compile("\\d+").matcher(line);
        List<Long> pids = new ArrayList<>();
        while (m.find()) {
            pids.add(Long.parseLong(m.group()));
        }
        return pids;
    }

    /** Zombies count as gone: they can't run anything, and some container inits never reap them. */
    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessTree::running).orElse(false);
    }
}
