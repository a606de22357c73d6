package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rhizome direction requeue` against a real coordinator: where nothing of the direction was
 * queued again for another class the order is refused (exit 4) with the coordinator's reason, a
 * malformed --commit is refused before anything is sent (exit 2), and `direction list` prints no
 * waiting line under a direction that waits on nothing.
 */
class DirectionRequeueCommandTest {
    @TempDir
    Path dir;

    @Test
    void anOrderWithNothingSpentIsRefusedWithTheCoordinatorsReason() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path operator = dir.resolve("op");
            CliRun.openDirection(c.url(), operator, dir.resolve("node"), "d");

            CliRun refused = CliRun.at(c.url(), operator, "direction", "requeue", "--name", "d", "--reason", "r",
                    "--json");
            assertThat(refused.code()).as(refused.out() + refused.err()).isEqualTo(ExitCodes.REFUSED);
            assertThat(refused.out() + refused.err()).contains("were never queued again for another class");

            CliRun malformed = CliRun.at(c.url(), operator, "direction", "requeue", "--name", "d", "--commit", "abc");
            assertThat(malformed.code()).as(malformed.out() + malformed.err()).isEqualTo(ExitCodes.USAGE);
            assertThat(malformed.out() + malformed.err()).contains("--commit").contains("40 hex digits");

            CliRun list = CliRun.at(c.url(), operator, "direction", "list");
            assertThat(list.code()).as(list.err()).isZero();
            assertThat(list.out()).contains("d ").doesNotContain("not measured:").doesNotContain("requeues spent");
        }
    }
}
