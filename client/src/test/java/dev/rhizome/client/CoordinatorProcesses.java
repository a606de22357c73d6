package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.ops.storm.ChildProcess;
import dev.rhizome.protocol.support.NonEphemeralPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

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

    /** A request a kill may cut: its failure is expected, not the test's. */
    @FunctionalInterface
    interface CutRequest {
        void send() throws CoordinatorException;
    }

    /**
     * What a coordinator killed at one instant leaves: sends {@code request} from another thread to
     * coordinator {@code name} (started with a crash point at {@code point}), waits until the
     * request holds it there ({@code where} says where, for the failure's text), SIGKILLs it and
     * waits for the cut request to end.
     */
    void killHeldAt(String name, Process p, String point, String where, CutRequest request) throws Exception {
        CompletableFuture<Void> held = CompletableFuture.runAsync(() -> {
            try {
                request.send();
            } catch (CoordinatorException e) {
                // the kill cuts it: no answer
            }
        });
        await().atMost(Duration.ofMinutes(3)).until(() -> !p.isAlive()
                || output(name).contains("at crash point " + point));
        assertThat(p.isAlive()).as("held %s; its log: %s", where, output(name)).isTrue();
        RealProcess.kill(p);  // SIGKILL
        held.get(2, TimeUnit.MINUTES);
    }

    /** SIGTERM, the coordinator's own stop; SIGKILL if it has not stopped in 60 s. */
    static void stop(Process p) throws InterruptedException {
        RealProcess.stop(p);
    }

    /**
     * Outside the ephemeral range: the port is found free here and bound later by the coordinator,
     * and again at each restart, and in that range any port-0 server or outgoing connection on a busy
     * machine could take it between the binds.
     */
    private static int freePort() {
        try {
            return NonEphemeralPort.find();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
