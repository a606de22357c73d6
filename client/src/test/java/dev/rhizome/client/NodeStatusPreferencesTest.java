package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.node.prefs.NodePreferences;
import dev.rhizome.node.prefs.TimeWindows;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What `rhizome node status` tells the volunteer about a running node's own settings and its
 * slots: the preferences it runs with (read back from nowhere but node.properties and the command
 * line before), and a slot paused while its claim waits at the coordinator reads paused at once.
 */
class NodeStatusPreferencesTest {
    @TempDir
    Path dir;

    @Test
    void statusShowsThePreferencesTheNodeRunsWithAndAPausedSlotReadsPausedWhileItsClaimWaits() throws Exception {
        Path data = dir.resolve("node");
        NodePreferences prefs = new NodePreferences(Set.of(), true, 1, false, 7, 0.5, TimeWindows.ANY_TIME, 512, 300,
                400, false, 900);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
             NodeDaemon node = TestNetwork.node(NodeConfig.defaults(data, coordinator.url()).withPreferences(prefs))) {
            Path socket = new NodeLayout(data).controlSocket();

            JsonObject shown = status(socket).getAsJsonObject("preferences");
            assertThat(shown.get("gpus").getAsString()).isEqualTo("none");
            assertThat(shown.get("cpu_jobs").getAsInt()).isEqualTo(1);
            assertThat(shown.get("idle_only").getAsBoolean()).isFalse();
            assertThat(shown.get("idle_minutes").getAsInt()).isEqualTo(7);
            assertThat(shown.get("run_hours").getAsString()).isEqualTo("any time");
            assertThat(shown.get("max_download_kbps").getAsLong()).isEqualTo(512);
            assertThat(shown.get("bundle_cache_mb").getAsLong()).isEqualTo(300);
            assertThat(shown.get("work_mb").getAsLong()).isEqualTo(400);
            assertThat(shown.get("repo_mb").getAsLong()).isEqualTo(900);
            assertThat(shown.get("prefetch").getAsBoolean()).isFalse();
            CliRun text = CliRun.of("node", "status", "--data-dir", data.toString());
            assertThat(text.code()).as(text.err()).isZero();
            assertThat(text.out()).contains("preferences: gpus none, cpu-jobs 1, not idle-only, run-hours any time, "
                    + "downloads 512 KiB/s at most, prefetch off; caps: repo 900 MiB, bundle cache 300 MiB, work 400 MiB");

            // No work anywhere: the slot's claim waits at the coordinator (20 s) for some to open.
            await().atMost(Duration.ofSeconds(60)).until(() -> slotState(socket).startsWith("claiming"));
            assertThat(ControlClient.request(socket, "pause")).contains("\"paused\":true");
            // it read "claiming" until the claim came back, and "waiting for work" through the back-off after it
            assertThat(slotState(socket)).startsWith("paused").contains("a claim sent before is still waiting");
            CliRun paused = CliRun.of("node", "status", "--data-dir", data.toString());
            assertThat(paused.out()).contains("PAUSED").contains("cpu0").contains("paused (a claim sent before");
            await().atMost(Duration.ofSeconds(60)).until(() -> slotState(socket).equals("paused"));

            assertThat(ControlClient.request(socket, "resume")).contains("\"paused\":false");
            await().atMost(Duration.ofSeconds(60)).until(() -> !slotState(socket).startsWith("paused"));
        }
    }

    private static String slotState(Path socket) throws Exception {
        return status(socket).getAsJsonArray("slots").get(0).getAsJsonObject().get("state").getAsString();
    }

    private static JsonObject status(Path socket) throws Exception {
        return JsonParser.parseString(ControlClient.request(socket, "status")).getAsJsonObject();
    }
}
