package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.LoadScaledBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real child process that gets no CPU for a while, as a job at nice 19 on a loaded machine gets
 * none: it stops itself (SIGSTOP), and is charged nothing while it is stopped. Counted in
 * wall-clock time, it timed out at its limit having run for a few milliseconds.
 */
class JobTimeChargeTest {
    private static final Duration LIMIT = Duration.ofSeconds(5);
    private static final LoadScaledBudget WAIT = new LoadScaledBudget(Duration.ofSeconds(60), Duration.ofSeconds(300));

    @TempDir
    Path dir;

    @Test
    void aJobHeldOffTheCpuPastItsLimitStillFinishes() throws Exception {
        JobSpec spec = sh("echo \"pid $$\"; kill -STOP $$; echo 'val_bpb: 1.5'");
        CompletableFuture<JobOutcome> run = start(spec);
        long pid = stoppedJob(spec);
        long stoppedAt = System.nanoTime();
        // Held off the CPU past the limit (a wall-clock limit kills it there), well inside the bound.
        await().atMost(LIMIT.multipliedBy(2)).pollInterval(Duration.ofMillis(100))
                .until(() -> System.nanoTime() - stoppedAt > LIMIT.plusMillis(500).toNanos());
        signal("-CONT", pid);

        JobOutcome outcome = run.get(WAIT.now().toSeconds(), TimeUnit.SECONDS);

        assertThat(System.nanoTime() - stoppedAt).isGreaterThan(LIMIT.toNanos());
        assertThat(outcome.status()).as(outcome.reason()).isEqualTo(Result.Status.OK);
        assertThat(outcome.metric()).hasValue(1.5);
        assertThat(outcome.runtimeMs()).isGreaterThan(LIMIT.toMillis());
    }

    @Test
    void aJobThatNeverRunsAgainIsStoppedAtTheWallClockBoundAndSaysSo() throws Exception {
        JobSpec spec = sh("echo \"pid $$\"; kill -STOP $$; echo 'val_bpb: 1.5'");

        JobOutcome outcome = start(spec).get(WAIT.now().toSeconds(), TimeUnit.SECONDS);

        assertThat(outcome.status()).isEqualTo(Result.Status.TIMEOUT);
        assertThat(outcome.runtimeMs()).isGreaterThanOrEqualTo(JobClock.WALL_BOUND_FACTOR * LIMIT.toMillis());
        assertThat(outcome.reason()).contains("2 times the seed's limit of 5.0 s").contains("it waited")
                .contains("its standard output's last lines: pid ");
    }

    private CompletableFuture<JobOutcome> start(JobSpec spec) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new JobRunner(PlainLauncher.atCallersPriority()).run(spec, JobProgress.IGNORE);
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The job's pid once it has stopped itself. */
    private static long stoppedJob(JobSpec spec) {
        return await().atMost(WAIT.now()).until(() -> {
            String log = Files.exists(spec.logFile()) ? Files.readString(spec.logFile()) : "";
            if (!log.startsWith("pid ")) {
                return null;
            }
            long pid = Long.parseLong(log.substring(4).strip());
            String stat = ProcessTree.readStat(pid);
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'T' ? pid : null;
        }, p -> p != null);
    }

    private static void signal(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }

    private JobSpec sh(String script) {
        return new JobSpec(dir, List.of("/bin/sh", "-c", script), Map.of(), LIMIT, dir.resolve("job.log"), "val_bpb");
    }
}
