package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's last progress line, as `rhizome node status` prints it in the volunteer's terminal. */
class SlotWorkerLastStepTest {
    @TempDir
    Path dir;

    @Test
    void aJobsStepLineReachesTheTerminalWithoutItsEscapes() throws Exception {
        Path log = Files.write(dir.resolve("job.log"), ("warming up\nstep 7 \u001b]52;c;cm0gLXJmIH4K\u0007 loss 2.5 "
                + "\u001b[2K\rstep 8 all fine" + "!".repeat(1000) + "\nnot a step\n").getBytes(StandardCharsets.UTF_8));

        String step = SlotWorker.lastStep(log);

        assertThat(step).startsWith("step 7 ?]52;c;cm0gLXJmIH4K? loss 2.5 ?[2K?step 8 all fine").endsWith("...")
                .hasSizeLessThanOrEqualTo(Evaluator.MAX_STEP_CHARS + 3).doesNotContain("\u001b", "\r", "\u0007");
    }
}
