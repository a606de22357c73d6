package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job that means to outlive its deadline ({@code deadline-probe.py}), started by the node's real
 * launch path: its main process ignores every signal it may and never ends, and it leaves a process
 * ignoring them too, one in a session of its own orphaned by a double fork, and one stopped. At the
 * deadline the run is a TIMEOUT and none of them is left on the host (the namespace's init is the
 * job's command, whose kill takes them all).
 */
class DeadlineProbeTest {
    /**
     * Of CPU time (job.JobClock), far more than python uses to start and fork; this probe then
     * sleeps, so it ends at the wall-clock bound, twice this, which is long enough for that start at
     * load 30 on 2 cores (the test waits for it anyway).
     */
    private static final Duration DEADLINE = Duration.ofSeconds(22);

    @TempDir
    Path dataDir;

    @Test
    void aJobIgnoringSignalsWithStoppedAndOrphanedProcessesEndsAtItsDeadlineWithNothingLeft() throws Exception {
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            Files.writeString(jobs.checkout.resolve("probe.py"), SandboxedJobs.script("deadline-probe.py"));
            Path log = dataDir.resolve("logs/deadline.log");
            JobSpec spec = new JobSpec(jobs.checkout, List.of("/usr/bin/python3", "probe.py"),
                    Map.of("PROBE_TAG", jobs.tag), DEADLINE, log, "val_bpb");
            CompletableFuture<JobOutcome> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return new JobRunner(jobs.sandbox).run(spec, JobProgress.IGNORE);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // Each of the three is running (or stopped) on the host before the deadline.
            Awaitility.await().atMost(DEADLINE.plusSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> SandboxedJobs.processesTagged("outlive-" + jobs.tag).size() >= 3 || run.isDone());
            assertThat(run.isDone()).as("the probe set its processes up before its deadline: %s",
                    run.isDone() ? Files.readString(log) + run.get() : "").isFalse();

            JobOutcome outcome = run.get(2 * DEADLINE.toSeconds() + 300, TimeUnit.SECONDS);

            assertThat(outcome.status()).as(Files.readString(log)).isEqualTo(Result.Status.TIMEOUT);
            assertThat(Files.readString(log)).contains("READY");
            assertThat(SandboxedJobs.processesTagged("outlive-" + jobs.tag)).as("left on the host").isEmpty();
        }
    }
}
