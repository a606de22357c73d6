package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.ops.storm.ChildProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Coordinators started as `rhizome coordinator` processes, to be killed with SIGKILL: each named,
 * with a data directory and a port of its own under {@code dir}, kept across its restarts (so a
 * restart is the same coordinator on the same store), its output appended to {@code <name>.log}.
 */
final class CoordinatorProcesses {
    private final Path dir;
    private final Map<String, Integer> ports = new HashMap<>();

    CoordinatorProcesses(Path dir) {
        this.dir = dir;
    }

    /**
     * Starts coordinator {@code name} on {@code store} ("" for SQLite in its data directory) with
     * {@code flags} after its own; {@code jvm} are system properties for its JVM ("-Dk=v").
     */
    Process start(String name, String store, List<String> jvm, String... flags) throws IOException {
        Path data = dir.resolve(name);
        Files.createDirectories(data);
        Files.deleteIfExists(data.resolve("coordinator.url"));
        int port = ports.computeIfAbsent(name, n -> freePort());
        List<String> args = new ArrayList<>(List.of("coordinator", "--data-dir", data.toString(), "--port",
                Integer.toString(port)));
        if (!store.isEmpty()) {
            args.addAll(List.of("--store", store));
        }
        args.addAll(List.of(flags));
        List<String> command = RealProcess.withJvm(TestNetwork.launcher(args.toArray(String[]::new)),
                jvm.toArray(String[]::new));
        return ChildProcess.builder(command, log(name), true).start();
    }

    /** The started coordinator's address, once it has written it. */
    String url(String name, Process p) throws IOException {
        Path file = dir.resolve(name).resolve("coordinator.url");
        await().atMost(Duration.ofMinutes(3)).until(() -> {
            assertThat(p.isAlive()).as("coordinator %s running; its log: %s", name, output(name)).isTrue();
            return Files.exists(file) && !Files.readString(file).isBlank();
        });
        return Files.readString(file).trim();
    }

    Path dataDir(String name) {
        return dir.resolve(name);
    }

    Path log(String name) {
        return dir.resolve(name + ".log");
    }

    String output(String name) throws IOException {
        return ChildProcess.output(log(name));
    }

    /** SIGTERM, the coordinator's own stop; SIGKILL if it has not stopped in 60 s. */
    static void stop(Process p) throws InterruptedException {
        RealProcess.stop(p);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
