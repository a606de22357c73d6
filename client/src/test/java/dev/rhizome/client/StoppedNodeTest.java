package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.control.ControlClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node stopped by SIGSTOP still has its control socket take a connection (the kernel queues it),
 * and `rhizome node status` read its answer forever. A real node, really stopped: the command ends
 * with an error that names the data directory and the way to resume it.
 */
class StoppedNodeTest {
    @TempDir
    Path dir;

    private static void signal(Process node, String signal) throws Exception {
        // the JDK sends no SIGSTOP/SIGCONT of its own
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(node.pid())).inheritIO().start();
        assertThat(kill.waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    @Test
    void aCommandToAStoppedNodeEndsWithTheWayToResumeIt() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            Path data = dir.resolve("node");
            Path out = dir.resolve("node.out");
            Path err = dir.resolve("node.err");
            Process node = new ProcessBuilder(TestNetwork.launcher("node", "--json", "--cpu-jobs", "0", "--gpus", "none",
                    "--data-dir", data.toString(), "--coordinator", c.url()))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            Path socket = new NodeLayout(data).controlSocket();
            boolean stopped = false;
            try {
                await().atMost(Duration.ofMinutes(3)).until(() -> Files.readString(out).contains("{") || !node.isAlive());
                assertThat(node.isAlive()).as(Files.readString(err, StandardCharsets.UTF_8)).isTrue();
                assertThat(ControlClient.request(socket, "status")).contains("\"node\"");

                signal(node, "STOP");
                stopped = true;
                long started = System.nanoTime();
                assertThatThrownBy(() -> ControlClient.request(socket, "status", Duration.ofSeconds(2)))
                        .isInstanceOf(ControlClient.NotAnswering.class)
                        .hasMessageContaining(socket.toString()).hasMessageContaining("'status'");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMinutes(1));

                // what a user sees: the command ends, naming the data directory and the node's pid
                Process status = new ProcessBuilder(TestNetwork.launcher("node", "status", "--json", "--data-dir",
                        data.toString())).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String answer = new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(status.waitFor(3, TimeUnit.MINUTES)).as("node status ended").isTrue();
                assertThat(status.exitValue()).isEqualTo(ExitCodes.FAILED);
                JsonObject error = JsonParser.parseString(answer.lines().filter(l -> l.startsWith("{"))
                        .reduce((a, b) -> b).orElseThrow(() -> new AssertionError(answer))).getAsJsonObject();
                assertThat(error.get("error").getAsString()).isEqualTo("node_not_answering");
                assertThat(error.get("message").getAsString()).contains(data.toString()).contains("'status'");
                assertThat(error.get("hint").getAsString()).contains("kill -CONT " + node.pid());

                // resumed, it answers again: nothing was lost by asking
                signal(node, "CONT");
                stopped = false;
                assertThat(ControlClient.request(socket, "status")).contains("\"node\"");
            } finally {
                if (stopped) {
                    signal(node, "CONT");  // a stopped process ignores SIGTERM until resumed
                }
                node.destroy();
                assertThat(node.waitFor(2, TimeUnit.MINUTES)).isTrue();
            }
        }
    }
}
