package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.support.PrivatePostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome coordinator` is a service: SIGTERM stops it cleanly, with exit status 0; a database that
 * will never take it ends it with exit status 1 and the reason.
 */
class CoordinatorSignalTest {
    @TempDir
    Path dir;

    @Test
    void sigtermStopsTheCoordinatorWithExitStatusZero() throws Exception {
        Process coordinator = RealProcess.start(TestNetwork.launcher("coordinator", "--data-dir", dir.toString(),
                "--port", "0"), dir.resolve("coordinator.log"));
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("coordinator.url")));
            coordinator.destroy();  // SIGTERM on Unix
            assertThat(coordinator.waitFor(2, TimeUnit.MINUTES)).as("stopped on SIGTERM").isTrue();
            assertThat(coordinator.exitValue()).as(Files.readString(dir.resolve("coordinator.log"))).isZero();
        } finally {
            RealProcess.kill(coordinator);
        }
    }

    /**
     * A database down when the coordinator starts is waited for (requests are 503 meanwhile); one
     * that then answers and refuses (here no such database; a wrong password is the same) would
     * refuse every attempt, so the command exits 1 naming the refusal rather than retrying forever.
     */
    @Test
    void aDatabaseThatAnswersOnlyToRefuseEndsTheCommand() throws Exception {
        try (PrivatePostgres pg = PrivatePostgres.created()) {
            Path log = dir.resolve("coordinator.log");
            Process coordinator = RealProcess.start(TestNetwork.launcher("coordinator", "--data-dir", dir.toString(),
                    "--port", "0", "--store", pg.address().substring(0, pg.address().lastIndexOf('/')) + "/no_such_database"),
                    log);
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(dir.resolve("coordinator.url")));
                pg.restart();
                assertThat(coordinator.waitFor(120, TimeUnit.SECONDS)).as("exited once the database refused").isTrue();
                assertThat(coordinator.exitValue()).isEqualTo(1);
                assertThat(Files.readString(log)).contains("refused").contains("database \"no_such_database\" does not exist");
                assertThat(dir.resolve("coordinator.url")).as("no URL of a coordinator that is gone").doesNotExist();
            } finally {
                RealProcess.kill(coordinator);
            }
        }
    }
}
