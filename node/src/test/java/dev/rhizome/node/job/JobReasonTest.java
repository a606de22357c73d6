package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Result;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single-command job that is not OK says why, as a harnessed one does: what stopped it and the
 * last lines of its output. Its result said "CRASH" or "TIMEOUT" and nothing else.
 */
class JobReasonTest {
    @TempDir
    Path dir;

    @Test
    void aJobThatExitsWithAnErrorNamesItsStatusAndItsLastLines() throws Exception {
        JobOutcome outcome = run("echo 'step 1'; echo 'Traceback (most recent call last):' >&2;"
                + " echo 'ZeroDivisionError: division by zero' >&2; exit 3", JobBudgets.ENDS_BY_ITSELF);

        assertThat(outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(outcome.reason()).isEqualTo("exited with status 3; its standard error's last lines: Traceback (most"
                + " recent call last): | ZeroDivisionError: division by zero; its standard output's last lines: step 1");
    }

    @Test
    void theLogKeepsBothStreamsAndSaysWhichIsWhich() throws Exception {
        JobOutcome outcome = run("echo 'step 1'; echo 'warning: slow' >&2; echo 'step 2'; echo 'val_bpb: 1.5'",
                JobBudgets.ENDS_BY_ITSELF);

        assertThat(outcome.status()).isEqualTo(Result.Status.OK);
        assertThat(java.nio.file.Files.readString(dir.resolve("job.log")))
                .isEqualTo("step 1\nstep 2\nval_bpb: 1.5\nrhizome: the job's standard error:\nwarning: slow\n");
        assertThat(dir.resolve("job.log.stderr")).doesNotExist();
    }

    @Test
    void aMetricOnStandardErrorStillCounts() throws Exception {
        JobOutcome outcome = run("echo 'step 1'; echo 'val_bpb: 1.25' >&2", JobBudgets.ENDS_BY_ITSELF);

        assertThat(outcome.status()).isEqualTo(Result.Status.OK);
        assertThat(outcome.metric()).hasValue(1.25);
    }

    @Test
    void aJobKilledByASignalNamesIt() throws Exception {
        JobOutcome outcome = run("kill -SEGV $$", JobBudgets.ENDS_BY_ITSELF);

        assertThat(outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(outcome.reason()).startsWith("killed by SIGSEGV (exit status 139); it printed nothing");
    }

    @Test
    void aJobWithoutItsMetricLineNamesTheLineItNeeded() throws Exception {
        JobOutcome outcome = run("echo 'val_bpb = 1.2'", JobBudgets.ENDS_BY_ITSELF);

        assertThat(outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(outcome.reason()).startsWith("exited with status 0 without a line \"val_bpb: <number>\"")
                .endsWith("last lines: val_bpb = 1.2");
    }

    @Test
    void aTimedOutJobSaysWhichLimitAndWhereItWas() throws Exception {
        JobOutcome outcome = run("echo 'step 40/1000'; sleep 300", Duration.ofSeconds(1));

        assertThat(outcome.status()).isEqualTo(Result.Status.TIMEOUT);
        assertThat(outcome.reason()).startsWith("timed out: ").contains("the seed's limit").endsWith("step 40/1000");
    }

    @Test
    void anOkRunHasNoReason() throws Exception {
        assertThat(run("echo 'val_bpb: 1.0'", JobBudgets.ENDS_BY_ITSELF).reason()).isEmpty();
    }

    @Test
    void theJobsTextIsMadePrintableAndCut() throws Exception {
        JobOutcome outcome = run("printf 'x%.0s' $(seq 1 3000); echo; printf 'bad \\033]52;c;AAAA\\007 end\\n'; exit 1",
                JobBudgets.ENDS_BY_ITSELF);

        assertThat(outcome.reason()).doesNotContain("\u001b", "\u0007").contains("bad ?]52;c;AAAA? end")
                .hasSizeLessThanOrEqualTo(JobReason.MAX_CHARS + 3);
    }

    private JobOutcome run(String script, Duration timeout) throws Exception {
        return new JobRunner(PlainLauncher.atCallersPriority()).run(new JobSpec(dir, List.of("/bin/sh", "-c", script),
                Map.of(), timeout, dir.resolve("job.log"), "val_bpb"), JobProgress.IGNORE);
    }
}
