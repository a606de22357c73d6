package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.LoadScaledBudget;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real job at a volunteer's priority (nice 19) on a machine whose every core is busy with the
 * owner's work (spinning processes at the test's priority): it gets almost no CPU until its
 * wall-clock bound. Reported, it was a TIMEOUT charged to the commit, though the commit had barely
 * run; it is now no outcome of the commit's. A job that sleeps on the same busy machine still is one
 * when it slept longer than it waited to start: its own time ran out, not the machine's.
 */
class MachineBusyTest {
    private static final Duration LIMIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private final List<Process> owners = new ArrayList<>();

    private void busyEveryCore() {
        try {
            for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
                owners.add(new ProcessBuilder("/bin/sh", "-c", "while :; do :; done").start());
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterEach
    void stopTheOwnersWork() {
        owners.forEach(Process::destroyForcibly);
    }

    @Test
    void aJobKeptOffTheCpuUntilTheWallClockBoundIsNotTheCommitsTimeout() {
        busyEveryCore();
        JobSpec spec = sh("echo started; while :; do :; done");

        assertThatThrownBy(() -> new JobRunner(new PlainLauncher()).run(spec, JobProgress.IGNORE))
                .isInstanceOf(MachineBusyException.class)
                .hasMessageStartingWith("not run to its end: ")
                .hasMessageContaining(JobClock.WALL_BOUND_FACTOR + " times the seed's limit of 5.0 s")
                .hasMessageContaining("s for a CPU, which other work on this busy machine held");
    }

    @Test
    void aJobThatSleepsOnTheSameBusyMachineIsStillATimeout() throws Exception {
        // its start at nice 19 waits behind the machine's other load (at load 5 on 2 cores, seconds):
        // a limit that grows with the load keeps that wait the lesser part of its bound, and its sleep
        // the greater, which is what makes it the commit's TIMEOUT
        Duration limit = new LoadScaledBudget(LIMIT, Duration.ofSeconds(30)).now();
        JobSpec spec = sh("echo started; exec sleep 600", limit);

        // the owner's work begins once the job has started: it sleeps on a busy machine
        JobOutcome outcome = new JobRunner(new PlainLauncher()).run(spec, line -> {
            if (line.equals("started") && owners.isEmpty()) {
                busyEveryCore();
            }
        });

        assertThat(owners).as("the owner's work ran while it slept").isNotEmpty();
        assertThat(outcome.status()).isEqualTo(Result.Status.TIMEOUT);
        assertThat(outcome.reason()).startsWith("timed out: ").contains("mostly not for a CPU")
                .contains("on a sleep, a GPU or its input").contains("its standard output's last lines: started");
    }

    private JobSpec sh(String script) {
        return sh(script, LIMIT);
    }

    private JobSpec sh(String script, Duration limit) {
        return new JobSpec(dir, List.of("/bin/sh", "-c", script), Map.of(), limit, dir.resolve("job.log"), "val_bpb");
    }
}
