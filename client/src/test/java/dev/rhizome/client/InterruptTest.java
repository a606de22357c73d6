package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C and SIGTERM in the middle of a command, on real child processes: a --json command says
 * it was interrupted with the one error object every failure gives (it used to exit 130 with an
 * empty standard output), and the demo takes its coordinator and nodes down with it.
 */
class InterruptTest {
    @TempDir
    Path dir;

    /** A coordinator that accepts the connection and never answers: the command is left waiting. */
    private static final class Stalled implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicReference<Socket> accepted = new AtomicReference<>();

        Stalled() throws IOException {
            Thread t = new Thread(() -> {
                try {
                    accepted.set(server.accept());
                } catch (IOException closed) {
                    // the test is over
                }
            }, "stalled-coordinator");
            t.setDaemon(true);
            t.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            if (accepted.get() != null) {
                accepted.get().close();
            }
            server.close();
        }
    }

    private Process start(String name, List<String> args) throws IOException {
        return new ProcessBuilder(TestNetwork.launcher(args.toArray(String[]::new)))
                .redirectOutput(dir.resolve(name + ".out").toFile())
                .redirectError(dir.resolve(name + ".err").toFile()).start();
    }

    private void assertInterrupted(String name, Process p, int exitCode) throws Exception {
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String err = Files.readString(dir.resolve(name + ".err"));
        List<String> out = Files.readAllLines(dir.resolve(name + ".out")).stream().filter(l -> !l.isBlank()).toList();
        assertThat(p.exitValue()).as(err).isEqualTo(exitCode);
        assertThat(out).as("one JSON object on standard output; stderr: " + err).hasSize(1);
        JsonObject o = JsonParser.parseString(out.get(0)).getAsJsonObject();
        assertThat(o.get("error").getAsString()).isEqualTo("interrupted");
        assertThat(o.get("hint").getAsString()).isNotBlank();
        assertThat(err).contains("rhizome: ").doesNotContain("Exception");
    }

    @Test
    void sigtermOnAJsonCommandPrintsTheInterruptedObjectAndExits143() throws Exception {
        try (Stalled coordinator = new Stalled()) {
            Process p = start("status", List.of("status", "--json", "--coordinator", coordinator.url(),
                    "--data-dir", dir.resolve("d").toString()));
            try {
                // connected: the JVM is up and inside the command
                await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.accepted.get() != null);
                p.destroy();  // SIGTERM
                assertInterrupted("status", p, 143);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void ctrlCOnAJsonCommandPrintsTheInterruptedObjectAndExits130() throws Exception {
        try (Stalled coordinator = new Stalled()) {
            Process p = start("papers", List.of("papers", "--json", "--coordinator", coordinator.url(),
                    "--data-dir", dir.resolve("d").toString()));
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> coordinator.accepted.get() != null);
                // SIGINT is what Ctrl-C sends; Java has no call for it, kill(1) does
                Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
                assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertInterrupted("papers", p, 130);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void aSignalledDemoTakesItsCoordinatorAndNodesDownWithIt() throws Exception {
        Path data = dir.resolve("demo");
        Process demo = start("demo", List.of("demo", "--nodes", "1", "--directions", "1", "--duration", "10m",
                "--data-dir", data.toString()));
        try {
            // the coordinator and the node both run as children of the demo
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> demo.children().count() >= 2 || !demo.isAlive());
            assertThat(demo.isAlive()).as(Files.readString(dir.resolve("demo.err"))).isTrue();
            List<ProcessHandle> children = demo.descendants().toList();
            demo.destroy();  // SIGTERM, as `timeout` or a service manager sends it
            assertThat(demo.waitFor(60, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(60)).until(() -> children.stream().noneMatch(ProcessHandle::isAlive));
        } finally {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
        }
    }
}
