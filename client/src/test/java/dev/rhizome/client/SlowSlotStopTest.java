package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.Confinement;
import dev.rhizome.node.job.ProcessLauncher;
import dev.rhizome.ops.seed.SeedPublisher;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.files.DurableFiles;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node stopped by SIGTERM while a slot is still finishing well past the stop's wait (10 s and the loop's settle budgets): a real
 * node process whose job launcher does not return for a long while, whatever it is told.
 */
class SlowSlotStopTest {
    /** How long the child's slot stays in its job's start, deaf to interrupts: past the stop's waits. */
    static final Duration STUCK = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    /**
     * The child: `rhizome node`'s daemon and stop (a shutdown hook closing it), with a launcher that
     * prints "job starting" and then holds its slot for {@link #STUCK} before failing. args: data
     * directory, coordinator URL.
     */
    public static final class StuckNode {
        public static void main(String[] args) throws Exception {
            ProcessLauncher stuck = new ProcessLauncher() {
                @Override
                public Process start(List<String> command, Confinement confinement, Redirect stdin, Redirect stdout,
                        Redirect stderr) throws IOException {
                    System.out.println("job starting");
                    System.out.flush();
                    long until = System.nanoTime() + STUCK.toNanos();
                    while (System.nanoTime() < until) {
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException deaf) {
                            // a slot that does not hear the stop: what the stop's wait is bounded for
                        }
                    }
                    throw new IOException("the stuck launcher gave up");
                }
            };
            NodeDaemon daemon = NodeDaemon.start(NodeConfig.defaults(Path.of(args[0]), args[1]), stuck);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    daemon.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "node-shutdown"));
            daemon.join();
        }
    }

    @Test
    void aNodeStoppedWhileASlotIsStuckExitsAfterItsWaitSaysSoAndTheNextNodeStartsOnItsDirectory() throws Exception {
        Path node = dir.resolve("node");
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            SortedMap<String, byte[]> seedFiles = TestNetwork.slowSeed(3, 300);
            TestNetwork.seedInto(node, seedFiles);
            Seed seed;
            try (NodeRepository repo = NodeRepository.open(dir.resolve("operator-repo"))) {
                seed = SeedPublisher.publish(repo, seedFiles, operator, Clock.systemUTC());
            }
            operator.openDirection(Direction.newBuilder().setName("d").setSeed(seed.getName())
                    .setBaseCommit(seed.getCommit()).setOpenedBy(operator.identity().publicId().toByteString())
                    .setOpenedMs(System.currentTimeMillis()).build());

            List<String> command = new ArrayList<>(TestNetwork.launcher());
            command.set(command.size() - 1, StuckNode.class.getName());
            command.addAll(List.of(node.toString(), coordinator.url()));
            Path firstLog = dir.resolve("node-1.log");
            Process first = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(firstLog.toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(180)).until(() -> read(firstLog).contains("job starting") || !first.isAlive());
                assertThat(first.isAlive()).as("the node runs; its log: %s", read(firstLog)).isTrue();
                long stopped = System.nanoTime();
                first.destroy();  // SIGTERM
                assertThat(first.waitFor(STUCK.toSeconds() - 10, TimeUnit.SECONDS))
                        .as("exited after its wait, not after the stuck slot; its log: %s", read(firstLog)).isTrue();
                assertThat(Duration.ofNanos(System.nanoTime() - stopped)).as("waited for its slots first; its log: %s", read(firstLog))
                        .isGreaterThanOrEqualTo(Duration.ofSeconds(10));
            } finally {
                first.destroyForcibly();
                first.waitFor(30, TimeUnit.SECONDS);
            }
            assertThat(read(firstLog)).containsPattern("a slot was still finishing \\d+ s after the stop").contains("node stopped");
            assertThat(leftovers(node)).as("temporary files left in the data directory").isEmpty();

            Path secondLog = dir.resolve("node-2.log");
            Process second = new ProcessBuilder(TestNetwork.launcher("node", "--data-dir", node.toString(),
                    "--coordinator", coordinator.url())).redirectErrorStream(true).redirectOutput(secondLog.toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(180)).until(() -> read(secondLog).contains("peer server on")
                        || !second.isAlive());
                assertThat(second.isAlive()).as("the next node started on the directory; its log: %s", read(secondLog))
                        .isTrue();
            } finally {
                second.destroy();
                second.waitFor(60, TimeUnit.SECONDS);
                second.destroyForcibly();
            }
        }
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    /** The node's own interrupted writes (JGit's files in the repository are its own). */
    private static List<Path> leftovers(Path dataDir) throws IOException {
        Path repository = new NodeLayout(dataDir).repository();
        try (Stream<Path> files = Files.walk(dataDir)) {
            return files.filter(p -> !p.startsWith(repository))
                    .filter(p -> p.getFileName().toString().endsWith(DurableFiles.TEMP_SUFFIX)).toList();
        }
    }
}
