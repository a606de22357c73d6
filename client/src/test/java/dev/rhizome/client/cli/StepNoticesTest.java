package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StepNoticesTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final AtomicLong now = new AtomicLong(1_000);
    private final StepNotices notices = new StepNotices(new PrintStream(bytes, true, StandardCharsets.UTF_8), now::get, null);

    @Test
    void aQuickStepSaysNothingAndASlowOneIsNamedThenNamedAgainEveryFewSeconds() {
        notices.step("importing HEAD into the node's repository");
        advance(2);
        notices.look();
        assertThat(said()).isEmpty();

        notices.step("registering the experiment with the coordinator");
        advance(3);
        notices.look();
        assertThat(said()).isEqualTo("rhizome: registering the experiment with the coordinator (3 s so far)\n");
        advance(1);
        notices.look();
        assertThat(said()).as("not again within 5 s").hasLineCount(1);
        advance(4);
        notices.look();
        assertThat(said()).endsWith("rhizome: registering the experiment with the coordinator (8 s so far)\n").hasLineCount(2);
    }

    @Test
    void aNewStepStartsItsOwnClockAndNothingIsSaidOnceClosed() {
        notices.step("comparing the change with the direction's newest experiments");
        advance(4);
        notices.look();
        notices.step("announcing the commit to the node");
        advance(1);
        notices.look();
        assertThat(said()).hasLineCount(1).doesNotContain("announcing");
        advance(3);
        notices.look();
        assertThat(said()).hasLineCount(2).endsWith("rhizome: announcing the commit to the node (4 s so far)\n");

        notices.close();
        advance(30);
        notices.look();
        assertThat(said()).hasLineCount(2);
    }

    private void advance(long seconds) {
        now.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }

    private String said() {
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
