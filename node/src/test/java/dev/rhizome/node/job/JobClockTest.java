package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** How a job's time limit is charged: time on a CPU, at most one second a second, within a wall-clock bound. */
class JobClockTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aJobOnOneCoreIsChargedItsCpuTimeAndStopsAtTheLimit() {
        JobClock clock = new JobClock(Duration.ofSeconds(10), 0);
        for (int t = 1; t <= 9; t++) {
            clock.charge(t * S, OptionalLong.of(S));
        }
        assertThat(clock.overrun(9 * S)).isEmpty();

        clock.charge(10 * S, OptionalLong.of(S));

        assertThat(clock.overrun(10 * S)).hasValueSatisfying(why -> assertThat(why)
                .startsWith("timed out: it ran 10.0 s, the seed's limit (timeout_seconds)"));
    }

    @Test
    void aJobOnSeveralCoresIsChargedWallClockTimeNotItsCpuTime() {
        JobClock clock = new JobClock(Duration.ofSeconds(10), 0);
        for (int t = 1; t <= 9; t++) {
            clock.charge(t * S, OptionalLong.of(16 * S)); // sixteen threads: 16 CPU seconds a second
        }

        assertThat(clock.charged()).isEqualTo(Duration.ofSeconds(9));
        assertThat(clock.overrun(9 * S)).isEmpty();
    }

    @Test
    void aJobWaitingForACpuIsNotChargedTheWaitButStopsAtTheWallClockBound() {
        JobClock clock = new JobClock(Duration.ofSeconds(10), 0);
        for (int t = 1; t <= 19; t++) {
            clock.charge(t * S, OptionalLong.of(S / 10)); // a tenth of a core, as at nice 19 on a busy machine
        }
        assertThat(clock.charged()).isEqualTo(Duration.ofMillis(1900));
        assertThat(clock.overrun(19 * S)).as("past its limit in wall-clock time, far from it on a CPU").isEmpty();

        clock.charge(20 * S, OptionalLong.of(S / 10));

        assertThat(clock.overrun(20 * S)).hasValueSatisfying(why -> assertThat(why)
                .contains("20.0 s of wall-clock time passed, 2 times the seed's limit of 10.0 s")
                .contains("charged only 2.0 s").contains("for a CPU on a busy machine"));
    }

    @Test
    void withoutACpuCountTheWallClockIsCharged() {
        JobClock clock = new JobClock(Duration.ofSeconds(2), 0);

        clock.charge(2 * S, OptionalLong.empty());

        assertThat(clock.charged()).isEqualTo(Duration.ofSeconds(2));
        assertThat(clock.overrun(2 * S)).isPresent();
    }

    @Test
    void aJobThatWaitedMostlyForACpuIsTheMachinesFaultAtTheBound() {
        JobClock clock = new JobClock(Duration.ofSeconds(10), 0);
        for (int t = 1; t <= 20; t++) {
            // a tenth of a core, the rest of each second runnable on a run queue (two threads: 1.8 s of it)
            clock.charge(t * S, OptionalLong.of(S / 10), OptionalLong.of(18 * S / 10));
        }

        assertThat(clock.starvedOfCpu(20 * S)).isTrue();
        assertThat(clock.overrun(20 * S)).hasValueSatisfying(why -> assertThat(why).startsWith("not run to its end")
                .contains("charged only 2.0 s").contains("it waited 18.0 s for a CPU"));
    }

    @Test
    void aJobThatSleptIsTheCommitsFaultAtTheBoundThoughTheMachineWasBusyToo() {
        JobClock clock = new JobClock(Duration.ofSeconds(10), 0);
        for (int t = 1; t <= 20; t++) {
            clock.charge(t * S, OptionalLong.of(S / 10), OptionalLong.of(4 * S / 10)); // asleep half of each second
        }

        assertThat(clock.starvedOfCpu(20 * S)).isFalse();
        assertThat(clock.overrun(20 * S)).hasValueSatisfying(why -> assertThat(why).startsWith("timed out")
                .contains("mostly not for a CPU (8.0 s of it)"));
    }

    @Test
    void noBlameOnTheMachineBeforeTheBoundNorWhereTheWaitIsUnknown() {
        JobClock early = new JobClock(Duration.ofSeconds(10), 0);
        early.charge(19 * S, OptionalLong.of(S), OptionalLong.of(18 * S));
        assertThat(early.starvedOfCpu(19 * S)).isFalse();

        JobClock unknown = new JobClock(Duration.ofSeconds(10), 0);
        unknown.charge(10 * S, OptionalLong.of(S), OptionalLong.of(9 * S));
        unknown.charge(20 * S, OptionalLong.of(S), OptionalLong.empty());
        assertThat(unknown.starvedOfCpu(20 * S)).isFalse();
        assertThat(unknown.overrun(20 * S)).hasValueSatisfying(why -> assertThat(why).startsWith("timed out"));
    }

    /**
     * A GPU job whose start (its imports, on a CPU) was kept off one by the owner's work for most of
     * its bound, then blocked on the GPU: asleep when its time ran out, yet the wait is what stopped
     * it, and a machine with a core to spare would have given it those seconds. Not the commit's
     * TIMEOUT (it was, from round 31: judged by the sleep at its end).
     */
    @Test
    void aJobThatWaitedToStartThenSleptIsTheMachinesFault() {
        JobClock clock = new JobClock(Duration.ofSeconds(10), 0);
        for (int t = 1; t <= 20; t++) {
            boolean starting = t <= 12;
            clock.charge(t * S, OptionalLong.of(starting ? S / 100 : 0), OptionalLong.of(starting ? S : 0));
        }

        assertThat(clock.starvedOfCpu(20 * S)).isTrue();
        assertThat(clock.overrun(20 * S)).hasValueSatisfying(why -> assertThat(why).startsWith("not run to its end")
                .contains("it waited 11.9 s for a CPU, which other work on this busy machine held"));
    }

    /** The same start's wait, shorter than its sleep after: the commit's TIMEOUT (its own time ran out). */
    @Test
    void aJobThatSleptLongerThanItWaitedToStartIsTheCommitsTimeout() {
        JobClock clock = new JobClock(Duration.ofSeconds(10), 0);
        for (int t = 1; t <= 20; t++) {
            boolean starting = t <= 8;
            clock.charge(t * S, OptionalLong.of(starting ? S / 100 : 0), OptionalLong.of(starting ? S : 0));
        }

        assertThat(clock.starvedOfCpu(20 * S)).isFalse();
        assertThat(clock.overrun(20 * S)).hasValueSatisfying(why -> assertThat(why).startsWith("timed out")
                .contains("mostly not for a CPU (7.9 s of it), but on a sleep, a GPU or its input"));
    }
}
