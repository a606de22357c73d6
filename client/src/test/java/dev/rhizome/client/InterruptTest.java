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
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.work.InventoryAnnouncer;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import org.junit.jupiter.api.Assumptions;
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

    /** {@link #assertInterrupted(String, Process, int)}, whose hint says what is true for a command that only reads. */
    private void assertInterruptedReading(String name, Process p, int exitCode) throws Exception {
        assertInterrupted(name, p, exitCode);
        JsonObject o = JsonParser.parseString(Files.readAllLines(dir.resolve(name + ".out")).stream()
                .filter(l -> !l.isBlank()).findFirst().orElseThrow()).getAsJsonObject();
        // the generic hint spoke of `rhizome claim` leases to a user who never claimed
        assertThat(o.get("hint").getAsString()).contains("only reads").contains("nothing was changed")
                .doesNotContain("claim");
        assertThat(Files.readString(dir.resolve(name + ".err"))).contains("only reads");
    }

    /**
     * SIGINT, what Ctrl-C sends (Java has no call for it, kill(1) does). A shell without job control
     * starts its background commands with SIGINT ignored, and the JVM then installs no handler for
     * it (nor does any child, which inherits the disposition): a Ctrl-C cannot be tried there.
     */
    private static Process ctrlC(Process p) throws IOException {
        Assumptions.assumeFalse(sigintIgnored(), "SIGINT is ignored in this process tree (started in the background "
                + "by a shell without job control): a command cannot see a Ctrl-C here");
        return new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
    }

    /** Bit 2 of /proc/self/status's SigIgn mask: whether this JVM, and so every child it starts, ignores SIGINT. */
    private static boolean sigintIgnored() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("SigIgn:"))
                .map(l -> Long.parseLong(l.substring("SigIgn:".length()).strip(), 16))
                .anyMatch(mask -> (mask & (1L << 1)) != 0);
    }

    private void assertInterrupted(String name, Process p, int exitCode) throws Exception {
        // giving a lease back and printing the object take a JVM's while on a loaded machine
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).as(name + " exited").isTrue();
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
                assertInterruptedReading("status", p, 143);
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
                Process kill = ctrlC(p);
                assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertInterruptedReading("papers", p, 130);
            } finally {
                p.destroyForcibly();
            }
        }
    }

    /**
     * A claim interrupted after the coordinator leased its unit, while it was still filling the
     * workspace (its only peer accepts and never answers), gives the unit back and says so: it
     * used to leave it leased to nobody until its deadline.
     */
    @Test
    void aClaimInterruptedBeforeItHandedItsUnitOverGivesTheLeaseBack() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")));
                Stalled peer = new Stalled()) {
            CoordinatorClient operator = new CoordinatorClient(c.url(), IdentityStore.loadOrCreate(dir.resolve("operator")));
            Path node = dir.resolve("node");
            String commit = TestNetwork.publishWithDirection(operator, node, TestNetwork.slowSeed(1, 60), "d").getCommit();
            // the only holder of the commit: a peer that takes the connection and says nothing
            Identity holder = IdentityStore.loadOrCreate(dir.resolve("holder"));
            new CoordinatorClient(c.url(), holder).announce(InventoryAnnouncer.announcement(holder.publicId(), "127.0.0.1",
                    peer.server.getLocalPort(), List.of(commit), "any", System.currentTimeMillis()));
            Process p = start("claim", List.of("claim", "--json", "--direction", "d", "--workspace",
                    dir.resolve("ws").toString(), "--coordinator", c.url(), "--data-dir", dir.resolve("agent").toString()));
            try {
                // fetching from the peer: the unit is leased, not yet printed
                await().atMost(Duration.ofSeconds(90)).until(() -> peer.accepted.get() != null || !p.isAlive());
                assertThat(p.isAlive()).as(Files.readString(dir.resolve("claim.err"))).isTrue();
                assertThat(operator.stats().getUnitsLeased()).isEqualTo(1);
                Process kill = ctrlC(p);
                assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertInterrupted("claim", p, 130);
                JsonObject o = JsonParser.parseString(Files.readString(dir.resolve("claim.out")).strip()).getAsJsonObject();
                assertThat(o.get("given_back").getAsBoolean()).as(o.toString()).isTrue();
                assertThat(o.get("unit_id").getAsString()).isNotBlank();
                assertThat(o.get("message").getAsString()).contains("given back");
                assertThat(Files.readString(dir.resolve("claim.err"))).contains("given back");
                assertThat(operator.stats().getUnitsLeased()).as("the lease was given back").isZero();
            } finally {
                p.destroyForcibly();
            }
        }
    }

    /**
     * `rhizome agent` stopped mid-round gives the round's unit back and takes its agent command
     * down with it: the command (here `sleep`) used to run on, orphaned, and the unit stayed leased.
     */
    @Test
    void anAgentStoppedMidRoundGivesItsUnitBackAndKillsItsCommand() throws Exception {
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(c.url(), IdentityStore.loadOrCreate(dir.resolve("operator")));
            Path agent = dir.resolve("agent");
            // published from the agent's own data directory: its checkout needs no peer
            TestNetwork.publishWithDirection(operator, agent, TestNetwork.slowSeed(1, 60), "d");
            Process p = start("agent", List.of("agent", "--json", "--direction", "d", "--rounds", "1", "--cmd",
                    "sleep 600", "--coordinator", c.url(), "--data-dir", agent.toString()));
            try {
                await().atMost(Duration.ofSeconds(120)).until(() -> !p.isAlive()
                        || p.descendants().anyMatch(h -> h.info().command().orElse("").endsWith("sleep")));
                assertThat(p.isAlive()).as(Files.readString(dir.resolve("agent.err"))).isTrue();
                List<ProcessHandle> command = p.descendants().toList();
                assertThat(operator.stats().getUnitsLeased()).isEqualTo(1);
                p.destroy();  // SIGTERM
                assertInterrupted("agent", p, 143);
                JsonObject o = JsonParser.parseString(Files.readString(dir.resolve("agent.out")).strip()).getAsJsonObject();
                assertThat(o.get("given_back").getAsBoolean()).as(o.toString()).isTrue();
                assertThat(operator.stats().getUnitsLeased()).as("the round's unit was given back").isZero();
                await().atMost(Duration.ofMinutes(3)).until(() -> command.stream().noneMatch(ProcessHandle::isAlive));
            } finally {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }

    /**
     * `rhizome agent` SIGKILLed mid-round runs no exit: its agent command dies with it by the
     * parent-death signal (ChildrenAtExit); it went on editing a workspace nobody would submit. The
     * unit stays leased until its deadline (a kill gives nothing back).
     */
    @Test
    void anAgentKilledMidRoundTakesItsCommandWithIt() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.rhizome.protocol.files.ChildrenAtExit.tiedToParent(),
                "setpriv (util-linux) is not installed here");
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(c.url(), IdentityStore.loadOrCreate(dir.resolve("operator")));
            Path agent = dir.resolve("agent");
            TestNetwork.publishWithDirection(operator, agent, TestNetwork.slowSeed(1, 60), "d");
            Process p = start("agent", List.of("agent", "--json", "--direction", "d", "--rounds", "1", "--cmd",
                    "sleep 600", "--coordinator", c.url(), "--data-dir", agent.toString()));
            try {
                await().atMost(Duration.ofSeconds(120)).until(() -> !p.isAlive()
                        || p.descendants().anyMatch(h -> h.info().command().orElse("").endsWith("sleep")));
                assertThat(p.isAlive()).as(Files.readString(dir.resolve("agent.err"))).isTrue();
                List<ProcessHandle> command = p.descendants().toList();
                p.destroyForcibly();  // SIGKILL
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                // running, not isAlive: a killed orphan where nothing reaps orphans stays a zombie
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(command.stream()
                        .filter(h -> dev.rhizome.protocol.files.ProcessStarts.running(h.pid(), java.util.OptionalLong.empty()))
                        .map(h -> h.pid() + " " + h.info().commandLine().orElse("?")))
                        .as("the agent's processes still running").isEmpty());
            } finally {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
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
            assertThat(demo.waitFor(3, TimeUnit.MINUTES)).as("the demo exited").isTrue();
            // each stops in its own time once the demo has ended: at load 35 on 2 cores, past 60 s
            await().atMost(Duration.ofMinutes(3)).untilAsserted(() -> assertThat(children.stream()
                    .filter(ProcessHandle::isAlive).map(c -> c.info().commandLine().orElse("pid " + c.pid())))
                    .as("the demo's children still running").isEmpty());
        } finally {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
        }
    }

    /**
     * `submit --wait` interrupted while it waits: the experiment is the coordinator's already, so
     * the answer says so and names the command that waits for it (it said "run the command again",
     * which answers already_submitted).
     */
    @Test
    void anInterruptedSubmitWaitSaysTheExperimentWasSubmitted() throws Exception {
        Path volunteer = dir.resolve("volunteer");
        Path agent = dir.resolve("agent");
        // nodes that only serve (their --direction has no work): nothing evaluates the commit, so the
        // wait is still waiting when the Ctrl-C comes, however long the test takes to send it. With
        // nodes that ran it, any outcome that came first (a job's failure decides it too) ended the
        // submit before its Ctrl-C, as it did once at load 40.
        try (SeededCoordinator network = SeededCoordinator.start(dir, volunteer, TestNetwork.slowSeed(3000, 600));
                NodeDaemon seedHolder = TestNetwork.node(NodeConfig.defaults(volunteer, network.url()).withDirection("serve-only"));
                NodeDaemon agentsNode = TestNetwork.node(NodeConfig.defaults(agent, network.url()).withDirection("serve-only"))) {
            Path ws = dir.resolve("ws");
            String commit = TestNetwork.claimAndCommit(network.url(), agent, ws);
            Process p = start("submit", List.of("submit", "--wait", "--json", "--workspace", ws.toString()));
            try {
                await().atMost(Duration.ofMinutes(3)).until(() -> !p.isAlive()
                        || Files.readString(dir.resolve("submit.err")).contains("waiting for"));
                assertThat(p.isAlive()).as("the submit ended before its Ctrl-C: " + Files.readString(dir.resolve("submit.out"))
                        + Files.readString(dir.resolve("submit.err"))).isTrue();
                Process kill = ctrlC(p);
                assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertInterrupted("submit", p, 130);
            } finally {
                p.destroyForcibly();
            }
            JsonObject o = JsonParser.parseString(Files.readString(dir.resolve("submit.out")).strip()).getAsJsonObject();
            assertThat(o.get("commit").getAsString()).isEqualTo(commit);
            assertThat(o.get("submitted").getAsBoolean()).isTrue();
            assertThat(o.get("message").getAsString()).contains("experiment " + commit + " was submitted");
            assertThat(o.get("hint").getAsString()).contains("rhizome wait --commit " + commit);
        }
    }
}
