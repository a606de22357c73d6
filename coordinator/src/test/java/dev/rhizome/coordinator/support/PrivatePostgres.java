package dev.rhizome.coordinator.support;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.protocol.support.NonEphemeralPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/**
 * A PostgreSQL server of the test's own, on a free port and a temporary directory, that the test
 * may kill with SIGKILL (the postmaster and every backend, as a crash would) and start again on the
 * same data: never the shared server others' tests use. Needs root (the server runs as the
 * {@code postgres} user, which it insists on) and the server's binaries; skipped with the reason
 * where either is missing (CI is root with PostgreSQL installed).
 */
public final class PrivatePostgres implements AutoCloseable {
    private static final Path VERSIONS = Path.of("/usr/lib/postgresql");

    private final Path bin;
    private final Path data;
    private final int port;
    private Process server;
    private boolean running;  // the pid file outlives a kill: a stale pid must never be signalled

    private PrivatePostgres(Path bin, Path data, int port) {
        this.bin = bin;
        this.data = data;
        this.port = port;
    }

    public static PrivatePostgres start() throws Exception {
        PrivatePostgres pg = created();
        try {
            pg.startServer();
        } catch (Exception | Error e) {
            pg.close();
            throw e;
        }
        return pg;
    }

    /** A server made (its data directory and port chosen) but not started: {@link #restart} starts it. */
    public static PrivatePostgres created() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "a private PostgreSQL needs root (it runs as postgres)");
        Path bin = binaries();
        assumeTrue(bin != null, "no PostgreSQL server binaries under " + VERSIONS);
        Path data = Files.createTempDirectory("rhizome-pg-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        UserPrincipalLookupService users = data.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(data, users.lookupPrincipalByName("postgres"));
        PrivatePostgres pg = new PrivatePostgres(bin, data, NonEphemeralPort.find());
        try {
            pg.run(List.of(bin.resolve("initdb").toString(), "-D", data.resolve("cluster").toString(), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--no-sync"));
        } catch (Exception | Error e) {
            pg.close();
            throw e;
        }
        return pg;
    }

    /** The store address of the server's own database. */
    public String address() {
        return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
    }

    /** SIGKILL to the postmaster and every process under it, as a crash of the machine's database would. */
    public void kill() throws Exception {
        List<ProcessHandle> all = new ArrayList<>();
        ProcessHandle.of(postmasterPid()).ifPresent(p -> {
            all.add(p);
            p.descendants().forEach(all::add);
        });
        running = false;
        all.forEach(ProcessHandle::destroyForcibly);
        // A zombie is dead (its files, memory and port are released); only its reaping waits.
        await().alias("the killed server's processes " + all + " to end").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> all.stream().allMatch(p -> !p.isAlive() || zombie(p)));
        if (!server.waitFor(30, TimeUnit.SECONDS)) {
            server.destroyForcibly();  // runuser, never left behind (stopped, it would outlive the test)
        }
    }

    /**
     * SIGSTOP to the postmaster and every process under it: a database that hangs rather than dies.
     * The kernel still accepts connections and acknowledges what is sent, so nothing on the
     * client's side fails until a timeout of its own runs out.
     */
    public void hang() throws Exception {
        signal("-STOP");
    }

    /** SIGCONT to the processes {@link #hang} stopped: the database answers again, where it stood. */
    public void resume() throws Exception {
        signal("-CONT");
    }

    /**
     * To the server's whole tree from {@code runuser} down: runuser stops itself when its child
     * stops (as su does, for job control), and left stopped it never reaped the killed postmaster.
     */
    private void signal(String signal) throws Exception {
        List<String> command = new ArrayList<>(List.of("kill", signal, Long.toString(server.pid())));
        server.descendants().forEach(d -> command.add(Long.toString(d.pid())));
        Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException(command + " failed: " + new String(kill.getInputStream().readAllBytes()));
        }
    }

    private static boolean zombie(ProcessHandle p) {
        try {
            String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException | RuntimeException gone) {
            return true;
        }
    }

    /** Starts the server again on the same data (it recovers from its write-ahead log). */
    public void restart() throws Exception {
        startServer();
    }

    private void startServer() throws Exception {
        server = new ProcessBuilder(asPostgres(List.of(bin.resolve("postgres").toString(), "-D",
                data.resolve("cluster").toString(), "-p", Integer.toString(port), "-k", data.toString(),
                "-c", "listen_addresses=127.0.0.1", "-c", "shared_buffers=16MB", "-c", "max_connections=50")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("server.log").toFile()))
                .start();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .failFast("the server process ended", () -> !server.isAlive())
                    .until(this::accepts);
        } catch (ConditionTimeoutException | TerminalFailureException notStarted) {
            throw new IllegalStateException("private PostgreSQL did not start: " + log(), notStarted);
        }
        running = true;
    }

    private boolean accepts() {
        try (Connection c = connect()) {
            return true;
        } catch (SQLException notYet) {
            return false;
        }
    }

    private long postmasterPid() throws IOException {
        return Long.parseLong(Files.readAllLines(data.resolve("cluster").resolve("postmaster.pid")).get(0).trim());
    }

    private void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(asPostgres(command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(data.resolve("setup.log").toFile())).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " failed: " + Files.readString(data.resolve("setup.log")));
        }
    }

    private static List<String> asPostgres(List<String> command) {
        List<String> all = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        all.addAll(command);
        return all;
    }

    private String log() {
        try {
            return Files.readString(data.resolve("server.log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static Path binaries() throws IOException {
        if (!Files.isDirectory(VERSIONS)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(VERSIONS)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("postgres")) && Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> b.getParent().getFileName().toString()))
                    .orElse(null);
        }
    }


    @Override
    public void close() throws Exception {
        try {
            if (running) {
                kill();
            } else if (server != null) {
                server.destroyForcibly();
            }
        } finally {
            try (Stream<Path> walk = Files.walk(data)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
