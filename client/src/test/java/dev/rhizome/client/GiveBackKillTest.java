package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real `rhizome node` stopped (SIGTERM) with a unit claimed ahead of its running job gives that unit
 * back; killed (SIGKILL) inside the give-back, at each of its two moments, the node started again on
 * its data directory finishes it: the unit is open to the next claim without waiting out its lease
 * (an hour here), never run from the old lease, and no give-back file is left. Killed after the
 * coordinator's 200 and before the file's delete, the restart's resend is answered "nothing given
 * back" and taken as done, with no second effect.
 */
class GiveBackKillTest {
    @TempDir
    Path dir;

    /** Killed with the give-back written and not yet sent: the restart sends it, and runs nothing of the old lease. */
    @Test
    void aNodeKilledAfterKeepingItsGiveBackSendsItAtRestart() throws Exception {
        Path node = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            TestNetwork.publishWithDirection(operator, node, TestNetwork.slowSeed(230, 25), "d");
            String ahead = stoppedAndKilledAt(CrashPoints.GIVE_BACK_KEPT, node, coordinator);
            assertThat(giveBackFiles(node)).as("the give-back kept before the kill").hasSize(1);
            assertThat(unit(operator, ahead).map(UnitStatus::getState)).as("still leased: never sent")
                    .contains(UnitStatus.State.LEASED);

            String restarted = restartedUntilNoGiveBackIsLeft(node, coordinator);
            assertThat(restarted).as("the restart's log").contains("gave unit " + ahead + " back unrun")
                    .doesNotContain("resuming unit " + ahead);
            assertNeverExpired(operator, ahead);
        }
    }

    /**
     * Killed after the coordinator acknowledged the give-back, before its file was deleted: the unit is
     * open already; the restart sends the give-back again and takes the answer as done (no retry, no
     * second give-back of a lease it may have taken on the unit since).
     */
    @Test
    void aNodeKilledAfterItsGiveBackWasHeardTakesTheRepeatedAnswerAsDone() throws Exception {
        Path node = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            TestNetwork.publishWithDirection(operator, node, TestNetwork.slowSeed(230, 25), "d");
            String ahead = stoppedAndKilledAt(CrashPoints.GIVE_BACK_HEARD, node, coordinator);
            assertThat(giveBackFiles(node)).as("the give-back still kept at the kill").hasSize(1);
            assertThat(unit(operator, ahead).map(UnitStatus::getState)).as("heard: open before the restart")
                    .contains(UnitStatus.State.OPEN);

            String restarted = restartedUntilNoGiveBackIsLeft(node, coordinator);
            // the resend met the open unit ("nothing given back"), or found this node leased it again since
            assertThat(restarted).as("the restart's log").containsAnyOf("gave unit " + ahead + " back unrun",
                    "unit " + ahead + " not given back again: this node holds a later lease")
                    .doesNotContain("unit " + ahead + " not given back yet");
            assertNeverExpired(operator, ahead);
            Optional<UnitStatus> now = unit(operator, ahead);
            if (now.isPresent() && now.get().getState() == UnitStatus.State.OPEN) {
                assertThat(restarted).as("open, so not run by this node after the restart")
                        .doesNotContain("(unit " + ahead + ")");
            }
        }
    }

    /**
     * A node started held at {@code point}, stopped (SIGTERM) once its slot runs a job and holds the
     * next unit claimed ahead, SIGKILLed once it says it is at {@code point}; the unit claimed ahead.
     */
    private String stoppedAndKilledAt(String point, Path node, Coordinator coordinator) throws Exception {
        Process first = RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", node.toString(),
                "--coordinator", coordinator.url()), dir.resolve("node-1.log"), RealProcess.crashPoint(point));
        String ahead;
        try {
            // jobs of some 23 s under a 25 s timeout: the slot claims its next unit 10 s before the timeout
            JsonObject slot = await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (!first.isAlive()) {
                    return new JsonObject();
                }
                CliRun status = CliRun.of("node", "status", "--json", "--data-dir", node.toString());
                if (status.code() != 0) {
                    return null;  // not serving its control socket yet
                }
                JsonObject s = status.json().getAsJsonArray("slots").get(0).getAsJsonObject();
                return s.get("job").isJsonObject() && s.get("next").isJsonObject() ? s : null;
            }, s -> s != null);
            assertThat(first.isAlive()).as("running a job with a unit claimed ahead; its log: %s", log("node-1.log"))
                    .isTrue();
            ahead = slot.getAsJsonObject("next").get("unit").getAsString();
            first.destroy();  // SIGTERM: the orderly stop gives the unit claimed ahead back
            await().atMost(Duration.ofMinutes(2)).until(() -> !first.isAlive()
                    || log("node-1.log").contains("at crash point " + point));
            assertThat(log("node-1.log")).as("held at %s", point).contains("at crash point " + point);
        } finally {
            if (first.isAlive()) {
                RealProcess.kill(first);
            }
        }
        return ahead;
    }

    /** The node started again until it has no give-back left on disk, then stopped; its log. */
    private String restartedUntilNoGiveBackIsLeft(Path node, Coordinator coordinator) throws Exception {
        Process second = RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", node.toString(),
                "--coordinator", coordinator.url()), dir.resolve("node-2.log"));
        try {
            await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofMillis(200)).until(() -> !second.isAlive()
                    || giveBackFiles(node).isEmpty());
            assertThat(second.isAlive()).as("running; its log: %s", log("node-2.log")).isTrue();
            assertThat(giveBackFiles(node)).as("give-backs left on disk").isEmpty();
        } finally {
            RealProcess.stop(second);
        }
        return log("node-2.log");
    }

    private static void assertNeverExpired(CoordinatorClient operator, String unit) throws Exception {
        assertThat(unit(operator, unit)).as("unit %s at the coordinator", unit).isPresent()
                .hasValueSatisfying(u -> assertThat(u.getExpiredLeases()).as("given back, not expired").isZero());
    }

    private static Optional<UnitStatus> unit(CoordinatorClient operator, String id) throws Exception {
        for (String state : List.of("OPEN", "LEASED", "DONE")) {
            Optional<UnitStatus> found = operator.units(state).getUnitsList().stream()
                    .filter(u -> u.getUnit().getId().equals(id)).findFirst();
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static List<Path> giveBackFiles(Path node) throws IOException {
        Path kept = new NodeLayout(node).giveBacks();
        if (!Files.isDirectory(kept)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(kept)) {
            return files.toList();
        }
    }

    private String log(String name) throws IOException {
        return RealProcess.output(dir.resolve(name));
    }
}
