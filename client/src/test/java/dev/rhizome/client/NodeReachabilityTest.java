package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.protocol.support.RefusedPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A volunteer sees promptly that its node cannot reach the coordinator, naming the address and
 * the error, and is not told again on every retry: `rhizome node` as a real child process.
 */
class NodeReachabilityTest {
    @TempDir
    Path dir;

    private Process node(String coordinator, Path log, String logLevel) throws IOException {
        ProcessBuilder b = new ProcessBuilder(TestNetwork.launcher("node", "--no-sandbox", "--data-dir",
                dir.resolve("n").toString(), "--coordinator", coordinator))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        b.environment().put("RHIZOME_LOG_LEVEL", logLevel);
        return b.start();
    }

    private static long count(Path log, String text) throws IOException {
        return Files.readString(log).lines().filter(l -> l.contains(text)).count();
    }

    @Test
    void aCoordinatorThatTakesTheConnectionButNeverAnswersIsToldWithinSeconds() throws Exception {
        // an overloaded or wedged coordinator: the first call used to wait out its 30 s timeout in silence
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(server.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "stalled-coordinator");
            acceptor.setDaemon(true);
            acceptor.start();
            String url = "http://127.0.0.1:" + server.getLocalPort();
            Path log = dir.resolve("node.log");
            Process p = node(url, log, "INFO");
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> !held.isEmpty() || !p.isAlive());
                assertThat(p.isAlive()).as(Files.readString(log)).isTrue();
                // The first line about it says the call is still waiting (told after 5 s), not that it
                // failed (its 30 s timeout): awaited as any line, so a node slowed down by a loaded
                // machine is no failure, a node that stays silent until its timeout is.
                await().atMost(Duration.ofMinutes(2)).until(() -> count(log, "has not answered") + count(log,
                        "cannot reach the coordinator") >= 1);
                String first = Files.readString(log).lines().filter(l -> l.contains("has not answered")
                        || l.contains("cannot reach the coordinator")).findFirst().orElseThrow();
                assertThat(first).contains("has not answered").contains(url);
                assertThat(Files.readString(log)).doesNotContain("\tat dev.rhizome");
            } finally {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
                p.destroyForcibly();
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aRefusedConnectionIsToldOnceNamingTheAddressNotOnEveryRetry() throws Exception {
        try (RefusedPort refused = new RefusedPort()) {
            String url = refused.url();
            Path log = dir.resolve("node.log");
            Process p = node(url, log, "DEBUG");
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> count(log, "cannot reach the coordinator") >= 1
                        || !p.isAlive());
                assertThat(p.isAlive()).as(Files.readString(log)).isTrue();
                String line = Files.readString(log).lines().filter(l -> l.contains("cannot reach the coordinator"))
                        .findFirst().orElseThrow();
                assertThat(line).contains(url).contains("connection refused");
                // the slot retries after 1, 2, 4 s (its own lines are debug ones now): still one line for the volunteer
                await().atMost(Duration.ofMinutes(1)).until(() -> count(log, "; trying again in") >= 3);
                assertThat(count(log, "cannot reach the coordinator") + count(log, "still: ")).as(Files.readString(log))
                        .isEqualTo(1);
                assertThat(Files.readString(log)).doesNotContain("\tat dev.rhizome");
            } finally {
                p.destroy();
                p.waitFor(30, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
        }
    }
}
