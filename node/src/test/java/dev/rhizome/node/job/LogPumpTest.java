package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.files.SmallDisk;
import java.io.File;
import java.lang.ProcessBuilder.Redirect;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LogPumpTest {
    /**
     * The pump stopped reading when the log's disk filled, so the job died of a broken pipe and
     * was reported a CRASH, charged to the proposer for this machine's disk.
     */
    @Test
    void aFullDiskNeitherKillsTheJobNorGoesUnsaid() throws Exception {
        try (SmallDisk disk = SmallDisk.mount(4)) {
            File log = disk.root().resolve("job.log").toFile();
            disk.fill();
            Process job = new ProcessBuilder("head", "-c", Integer.toString(8 << 20), "/dev/zero").start();
            LogPump pump = LogPump.start("job stdout", job.getInputStream(), Redirect.appendTo(log));
            assertThat(job.waitFor(2, TimeUnit.MINUTES)).isTrue();
            pump.join(30_000);
            assertThat(job.exitValue()).as("the job wrote all its output").isZero();
            assertThat(pump.failure()).hasValueSatisfying(why -> assertThat(why).contains(log.toString())
                    .contains("No space left on device"));
        }
    }
}
