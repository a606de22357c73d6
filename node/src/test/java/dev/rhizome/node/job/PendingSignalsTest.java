package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which process's count of pending signals is the job's, on a fake /proc laid out as files. */
class PendingSignalsTest {
    @TempDir
    Path proc;

    @Test
    void theCountIsReadFromAProcessInsideTheSandboxesNamespacesOnly() throws Exception {
        // The launcher's shell, on the host: its SigQ is the host's count for its uid, everyone's.
        ProcessHandle shell = ProcessHandle.current().parent().orElseThrow();
        ProcessHandle job = ProcessHandle.current();
        status(shell.pid(), "NSpid:\t" + shell.pid() + "\nSigQ:\t90000/96362\n");
        status(job.pid(), "Name:\tpython3\nNSpid:\t" + job.pid() + "\t2\nSigQ:\t2100/1024\n");

        assertThat(PendingSignals.insideCount(proc.resolve(shell.pid() + "/status"))).isEmpty();
        assertThat(PendingSignals.insideCount(proc.resolve(job.pid() + "/status"))).isEqualTo(OptionalLong.of(2100));
        assertThat(PendingSignals.insideCount(proc.resolve("1/status"))).as("gone").isEmpty();
        assertThat(new PendingSignals(proc, 2048).check(List.of(shell, job)))
                .hasValueSatisfying(why -> assertThat(why).contains("more than 2048 pending signals (2100)"));
        assertThat(new PendingSignals(proc, 4096).check(List.of(shell, job))).isEmpty();
    }

    @Test
    void aMalformedStatusCountsAsNone() throws Exception {
        status(7, "NSpid:\t7\t1\nSigQ:\tmany\n");
        status(8, "NSpid:\t8\t2\n");

        assertThat(PendingSignals.insideCount(proc.resolve("7/status"))).isEmpty();
        assertThat(PendingSignals.insideCount(proc.resolve("8/status"))).isEmpty();
    }

    @Test
    void aJobOfAsManyTasksAsAllowedHoldsAtMostHalfTheNodesPendingSignals() {
        // The development machine's limit, a 4 GiB machine's, and a 512 MiB one's, where the floor is one task.
        for (long sigpending : new long[] {96_362, 16_384, 2_048}) {
            long tasks = PendingSignals.tasksWithin(sigpending);
            assertThat(tasks).isPositive();
            if (sigpending / 2 > BwrapCommand.PENDING_SIGNALS + PendingSignals.STANDARD_PER_TASK) {
                assertThat(tasks * PendingSignals.STANDARD_PER_TASK + BwrapCommand.PENDING_SIGNALS)
                        .as("sigpending %d", sigpending).isLessThanOrEqualTo(sigpending / 2);
                assertThat((tasks + 1) * PendingSignals.STANDARD_PER_TASK + BwrapCommand.PENDING_SIGNALS)
                        .as("one task more").isGreaterThan(sigpending / 2);
            }
        }
        assertThat(PendingSignals.tasksWithin(96_362)).isEqualTo(813);
    }

    private void status(long pid, String text) throws Exception {
        Files.writeString(Files.createDirectories(proc.resolve(Long.toString(pid))).resolve("status"), text);
    }
}
