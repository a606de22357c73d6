package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second coordinator (or node) started on a data directory one already runs on: the answer
 * names the holder and the way out. It was the line for failures nobody foresaw, its remedy
 * buried in the message and "fix what the message names (RHIZOME_DEBUG=1 prints the stack trace)"
 * after it.
 */
class DataDirInUseTest {
    @TempDir
    Path dir;

    @Test
    void aSecondCoordinatorOnOneDataDirectoryIsToldWhoHoldsItAndWhatToDo() throws Exception {
        Path data = dir.resolve("coordinator");
        try (Coordinator running = Coordinator.start(CoordinatorConfig.defaults(data))) {
            // another process, as a user starts it: the lock is held across processes
            Process second = new ProcessBuilder(TestNetwork.launcher("coordinator", "--data-dir", data.toString(),
                    "--port", "0")).redirectErrorStream(true).redirectOutput(dir.resolve("second.txt").toFile()).start();
            boolean ended = second.waitFor(120, java.util.concurrent.TimeUnit.SECONDS);
            second.destroyForcibly();
            String out = java.nio.file.Files.readString(dir.resolve("second.txt"));
            assertThat(ended).as("it refuses to start rather than run beside the first: " + out).isTrue();
            assertThat(second.exitValue()).as(out).isEqualTo(ExitCodes.FAILED);
            assertThat(out).contains("is in use by another running process (pid " + ProcessHandle.current().pid() + ")")
                    .contains(data.toString()).contains("`kill " + ProcessHandle.current().pid() + "`")
                    .contains("--data-dir of its own")
                    .doesNotContain("RHIZOME_DEBUG").doesNotContain("fix what the message names");
        }
    }
}
