package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.proto.v1.Result;
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
 * run; it is now no outcome of the commit's. A job that sleeps on the same busy machine still is one,
 * however long its start waited behind the owner's work: it is asleep when its time runs out.
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
        JobSpec spec = sh("echo started; exec sleep 60");

        // the owner's work begins once the job has started: what decides is that the job sleeps on a
        // busy machine, and its start at nice 19 behind the spinners took a load-dependent part of its
        // bound (at load 5 on 2 cores, half of it: judged the machine's fault 1 time in 2)
        JobOutcome outcome = new JobRunner(new PlainLauncher()).run(spec, line -> {
            if (line.equals("started") && owners.isEmpty()) {
                busyEveryCore();
            }
        });

        assertThat(owners).as("the owner's work ran while it slept").isNotEmpty();
        assertThat(outcome.status()).isEqualTo(Result.Status.TIMEOUT);
        // its start may still have waited most of the time it was not charged (the machine's other
        // load decides): either way it was asleep when its time ran out
        assertThat(outcome.reason()).startsWith("timed out: ").contains("on a sleep, a GPU or its input")
                .contains("its standard output's last lines: started");
    }

    private JobSpec sh(String script) {
        return new JobSpec(dir, List.of("/bin/sh", "-c", script), Map.of(), LIMIT, dir.resolve("job.log"), "val_bpb");
    }
}
