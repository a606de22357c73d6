package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeConfig;
import dev.rhizome.node.NodeDaemon;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole `rhizome node` process SIGKILLed inside the import of a bundle it fetched from a peer:
 * held by a crash point once the bundle's pack is in its repository and before the refs of its
 * commits are made (the pack there, no ref, the import's quarantine directory left), then
 * restarted. The restarted node opens its repository, fetches the commit it lacked again and
 * holds it, leaves no quarantine or temporary file behind (a killed import's quarantine stayed
 * an hour before), and serves the commit to its peers: with the only other holder gone, an
 * agent's claim checks the commit out from it.
 */
class NodeImportKillTest {
    @TempDir
    Path dir;

    @Test
    void aNodeKilledInsideABundleImportRefetchesItLeavesNothingBehindAndServesAgain() throws Exception {
        Path holder = dir.resolve("holder");
        Path nodeB = dir.resolve("node-b");
        ByteString keyB = IdentityStore.loadOrCreate(nodeB).publicId().toByteString();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator")))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = TestNetwork.publishWithDirection(operator, holder, TestNetwork.slowSeed(3, 300), "d");
            String commit = seed.getCommit();
            NodeDaemon seedHolder = TestNetwork.node(serveOnly(holder, coordinator.url()));
            try {
                // the node's first run: it fetches the seed's commit from the holder (named its keeper,
                // or for its first unit), and is held inside the import
                Process killed = RealProcess.start(node(nodeB, coordinator.url()), dir.resolve("first.log"),
                        RealProcess.crashPoint(CrashPoints.BUNDLE_ADMITTED));
                long firstPid = killed.pid();
                try {
                    await().atMost(Duration.ofMinutes(4)).until(() -> !killed.isAlive()
                            || log("first.log").contains("at crash point " + CrashPoints.BUNDLE_ADMITTED));
                    assertThat(killed.isAlive()).as("node b held inside its import; its log: %s", log("first.log"))
                            .isTrue();
                } finally {
                    RealProcess.kill(killed);
                }
                Path gitDir = new NodeLayout(nodeB).repository();
                assertThat(quarantines(gitDir)).as("the killed import's quarantine").isNotEmpty();
                assertThat(transfers(nodeB)).as("transfers node b finished before the kill").doesNotContain(commit);

                // restarted, it lacks the commit (no ref: the maker, which sent it whole, counts it a
                // keeper already and names it no more) until its work asks for it
                Process restarted = RealProcess.start(node(nodeB, coordinator.url()), dir.resolve("second.log"));
                try {
                    await().atMost(Duration.ofMinutes(4)).until(() -> !restarted.isAlive()
                            || transfers(nodeB).contains(commit));
                    assertThat(restarted.isAlive()).as("node b restarted; its log: %s", log("second.log")).isTrue();
                    // the restarted node keeps its own quarantine directory between imports, empty
                    assertThat(quarantines(gitDir)).as("the killed import's quarantine once restarted")
                            .noneMatch(q -> q.getFileName().toString().startsWith("rhizome-quarantine-" + firstPid + "-"));
                    assertThat(filesIn(quarantines(gitDir))).as("files in quarantines once restarted").isEmpty();
                    assertThat(bundlesOf(firstPid)).as("the killed node's fetched bundles in the temporary directory")
                            .isEmpty();
                    await().atMost(Duration.ofMinutes(2)).until(() -> operator.peers(commit).getPeersList().stream()
                            .anyMatch(p -> p.getNode().equals(keyB)));
                } finally {
                    // the other holder goes: from now on node b alone holds the seed's commit
                    seedHolder.close();
                    seedHolder = null;
                }
                try {
                    Path agent = dir.resolve("agent");
                    Path ws = dir.resolve("ws");
                    CliRun claim = CliRun.of("claim", "--data-dir", agent.toString(), "--coordinator", coordinator.url(),
                            "--direction", "d", "--workspace", ws.toString(), "--json");
                    assertThat(claim.code()).as("a claim checked out from node b alone: %s; node b's log: %s", claim.err(),
                            log("second.log")).isZero();
                    assertThat(ws.resolve("Train.java")).as("the seed's files, served by node b").exists();
                } finally {
                    RealProcess.stop(restarted);
                }
                assertThat(log("second.log")).as("node b's stop").contains("node stopped");
                try (NodeRepository repo = NodeRepository.open(gitDir)) {
                    assertThat(repo.commits()).as("node b's commits after its stop").contains(commit);
                }
                assertThat(quarantines(gitDir)).as("quarantines after the stop").isEmpty();
                try (Stream<Path> files = Files.walk(nodeB)) {
                    assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp")))
                            .as("temporary files left in node b's data directory").isEmpty();
                }
            } finally {
                if (seedHolder != null) {
                    seedHolder.close();
                }
            }
        }
    }

    /** A node that serves its bundles and runs no job, so that the evaluations are the killed node's. */
    static NodeConfig serveOnly(Path dataDir, String url) {
        NodeConfig config = NodeConfig.defaults(dataDir, url);
        return config.withPreferences(config.preferences().withCpuJobs(0));
    }

    private static List<String> node(Path dataDir, String url) {
        return TestNetwork.nodeCommand("node", "--data-dir", dataDir.toString(), "--coordinator", url, "--cpu-jobs", "1");
    }

    /** What a node's transfer log ({@code transfers.jsonl}, a line per fetch it finished) holds; "" when none. */
    static String transfers(Path dataDir) throws IOException {
        Path log = dataDir.resolve("transfers.jsonl");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private String log(String name) throws IOException {
        return RealProcess.output(dir.resolve(name));
    }

    static List<Path> quarantines(Path gitDir) throws IOException {
        try (Stream<Path> files = Files.list(gitDir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("rhizome-quarantine-")).toList();
        }
    }

    /** The files in {@code quarantines} but a kept quarantine's skeleton, its alternates file ({@code git.QuarantineDir}). */
    static List<Path> filesIn(List<Path> quarantines) throws IOException {
        List<Path> files = new java.util.ArrayList<>();
        for (Path quarantine : quarantines) {
            Path skeleton = quarantine.resolve("objects").resolve("info").resolve("alternates");
            try (Stream<Path> inside = Files.walk(quarantine)) {
                inside.filter(Files::isRegularFile).filter(f -> !f.equals(skeleton)).forEach(files::add);
            }
        }
        return files;
    }

    /** Bundles a fetch or an import of the process {@code pid} keeps in the temporary directory ({@code git.TempBundles}). */
    static List<Path> bundlesOf(long pid) throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.filter(p -> p.getFileName().toString().matches("rhizome-(fetch|import)-" + pid + "-.*\\.bundle"))
                    .toList();
        }
    }
}
