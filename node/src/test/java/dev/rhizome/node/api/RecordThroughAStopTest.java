package dev.rhizome.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.work.UnitBuffer;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A unit the coordinator leased is kept in the slot's file even when the node's stop interrupts the
 * claiming thread as the answer arrives: the interrupted thread's file channel closed on the write,
 * the unit was kept nowhere, and its claim stayed in the journal, leased to the stopped node until
 * its next start (LostAnswerKillTest in CI). The interrupt is still there for the caller after.
 */
class RecordThroughAStopTest {
    @TempDir
    Path dir;

    @Test
    void aUnitAnsweredAsTheStopInterruptsIsKeptAndTheInterruptStays() throws Exception {
        UnitBuffer buffer = new UnitBuffer(dir.resolve("buffer"));
        WorkUnit unit = WorkUnit.newBuilder().setId("u-1").setCommit("c".repeat(40)).setLeaseDeadlineMs(42).build();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        AtomicBoolean stillInterrupted = new AtomicBoolean();
        Thread claiming = new Thread(() -> {
            Thread.currentThread().interrupt();  // the stop's one interrupt, as the answer comes
            try {
                ClaimDelivery.recordThroughAStop(u -> buffer.putAhead("cpu0", u), unit);
            } catch (Throwable t) {
                failed.set(t);
            }
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        claiming.start();
        claiming.join();

        assertThat(failed.get()).as("the record went through").isNull();
        assertThat(buffer.ahead("cpu0")).isEqualTo(Optional.of(unit));
        assertThat(stillInterrupted).as("the stop's interrupt kept for the caller").isTrue();
    }
}
