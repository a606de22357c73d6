package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.files.ProcessStarts;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcessStampTest {
    @Test
    void aProcessIsNamedByItsStartInTicksFromBootAndTheNameReadsBack() {
        ProcessStamp me = ProcessStamp.current();
        assertThat(me.ticks()).as("the kernel's count, which no clock setting moves").isTrue();
        assertThat(me.start()).isEqualTo(ProcessStarts.current().orElseThrow());
        assertThat(me.name()).matches(me.pid() + "-t\\d+");
        assertThat(ProcessStamp.parse(me.name())).contains(me);
        assertThat(me.alive()).isTrue();
    }

    @Test
    void aLivingPidStartedAtAnotherTickIsAnotherProcessAndAnEndedOneIsDead() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        try {
            long start = ProcessStarts.of(sleeper.pid()).orElseThrow();
            assertThat(new ProcessStamp(sleeper.pid(), start, true).alive()).isTrue();
            assertThat(new ProcessStamp(sleeper.pid(), start - 1, true).alive()).as("the pid used again").isFalse();
        } finally {
            sleeper.destroyForcibly();
            assertThat(sleeper.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        long start = 1;
        assertThat(new ProcessStamp(sleeper.pid(), start, true).alive()).isFalse();
    }

    @Test
    void theOlderNamesOfWallClockStartsAreStillRead() {
        ProcessHandle me = ProcessHandle.current();
        long startMs = me.info().startInstant().orElseThrow().toEpochMilli();
        ProcessStamp older = ProcessStamp.parse(me.pid() + "-" + startMs).orElseThrow();
        assertThat(older.ticks()).isFalse();
        assertThat(older.alive()).isTrue();
        assertThat(new ProcessStamp(me.pid(), startMs - 60_000).alive()).as("another start").isFalse();
        assertThat(ProcessStamp.parse("12-x34")).isEmpty();
    }
}
