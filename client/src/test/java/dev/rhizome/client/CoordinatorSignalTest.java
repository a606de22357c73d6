package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `rhizome coordinator` is a service: SIGTERM stops it cleanly, with exit status 0. */
class CoordinatorSignalTest {
    @TempDir
    Path dir;

    @Test
    void sigtermStopsTheCoordinatorWithExitStatusZero() throws Exception {
        Process coordinator = new ProcessBuilder(TestNetwork.launcher("coordinator", "--data-dir", dir.toString(),
                "--port", "0"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("coordinator.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("coordinator.url")));
            coordinator.destroy();  // SIGTERM on Unix
            assertThat(coordinator.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(coordinator.exitValue()).as(Files.readString(dir.resolve("coordinator.log"))).isZero();
        } finally {
            coordinator.destroyForcibly();
        }
    }
}
