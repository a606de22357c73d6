package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile job that closes its output and dups it into odd things (a FIFO nobody reads, opened
 * read-write so that its open does not wait; a socket pair's end; a file in its own {@code /tmp}),
 * prints a better metric into each, and lingers. The node ends a job by its process, not by the end of
 * its output, so the run is a TIMEOUT at its deadline, the log holds only what came through the pipe
 * before the close, and no metric written elsewhere counts. Held before round 22 (no fix needed).
 */
class OutputProbeTest {
    /**
     * Of CPU time (job.JobClock); this probe sleeps, so it ends at the wall-clock bound, twice this,
     * long enough for python to start at load 30 on 2 cores.
     */
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static final String PROBE = String.join("\n",
            "import os, socket, sys, time",
            "print('BEFORE', flush=True)",
            "os.mkfifo('/tmp/odd')",
            "fifo = os.open('/tmp/odd', os.O_RDWR)",
            "a, b = socket.socketpair()",
            "plain = os.open('/tmp/plain', os.O_WRONLY | os.O_CREAT, 0o600)",
            "os.close(1); os.close(2)",
            "os.dup2(fifo, 1); os.dup2(a.fileno(), 2)",
            "os.write(1, b'val_bpb: 0.001\\n'); os.write(2, b'val_bpb: 0.001\\n')",
            "os.dup2(plain, 1); os.write(1, b'val_bpb: 0.001\\n')",
            "os.closerange(0, 1024)",
            "time.sleep(3600)",
            "");

    @TempDir
    Path dataDir;

    @Test
    void aJobThatClosesAndRedirectsItsOutputEndsAtItsDeadlineWithNoMetric() throws Exception {
        try (SandboxedJobs jobs = SandboxedJobs.open(dataDir)) {
            Files.writeString(jobs.checkout.resolve("probe.py"), PROBE);
            Path log = dataDir.resolve("logs/output.log");
            JobSpec spec = new JobSpec(jobs.checkout, List.of("/usr/bin/python3", "probe.py"), Map.of(), DEADLINE, log,
                    "val_bpb");

            JobOutcome outcome = new JobRunner(jobs.sandbox).run(spec, JobProgress.IGNORE);

            String written = Files.readString(log);
            assertThat(outcome.status()).as(written).isEqualTo(Result.Status.TIMEOUT);
            assertThat(written).contains("BEFORE").doesNotContain("val_bpb: 0.001");
            assertThat(outcome.metric()).isEmpty();
        }
    }
}
