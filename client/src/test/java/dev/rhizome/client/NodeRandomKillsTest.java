package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonParser;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.control.ControlClient;
import dev.rhizome.node.work.ReceiptBook;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole `rhizome node` process SIGKILLed at random instants while it works (claiming, running
 * jobs, exploring, delivering, keeping receipts, gossiping), started again each time on its data
 * directory. After every kill each file it keeps parses as what it is; each restart comes up on
 * them; at the end every result the coordinator stored from the node has one receipt kept, no unit
 * has two results, and nothing is left half-written. Where {@code NodeFilesKillTest} kills a writer
 * inside one write it picked, this kills where the node happens to be.
 */
class NodeRandomKillsTest {
    /** Bounded for CI's time: each round is a JVM start and a few seconds of work. */
    private static final int KILLS = 5;
    /** The kill's instant after the node says it started: 0 to this, at random (what is drawn, not a wait for anything). */
    private static final int MAX_KILL_AFTER_MS = 8_000;

    @TempDir
    Path dir;

    @Test
    void aNodeKilledAtRandomWhileItWorksKeepsFilesThatParseAndLosesNothingAcknowledged() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        Path node = dir.resolve("node");
        NodeLayout layout = new NodeLayout(node);
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            TestNetwork.publishWithDirection(operator, node, TestNetwork.slowSeed(20, 300), "d");
            for (int k = 1; k <= KILLS; k++) {
                Process p = start(node, coordinator.url().toString(), k);
                int n = k;
                await().atMost(Duration.ofMinutes(4)).until(() -> !p.isAlive() || log(n).contains("peer server on"));
                assertThat(p.isAlive()).as("run %d started (random seed %d); its log: %s", k, seed, log(k)).isTrue();
                long killAt = System.nanoTime() + random.nextInt(MAX_KILL_AFTER_MS) * 1_000_000L;
                await().atMost(Duration.ofMillis(MAX_KILL_AFTER_MS + 60_000)).pollInterval(Duration.ofMillis(50))
                        .until(() -> System.nanoTime() >= killAt || !p.isAlive());
                assertThat(p.isAlive()).as("run %d alive at its kill (random seed %d); its log: %s", k, seed, log(k)).isTrue();
                RealProcess.kill(p);
                assertEveryFileParses(layout, "after kill " + k + " (random seed " + seed + ")");
            }

            // the last start delivers what the kills left: paused so that it starts nothing new
            Process last = start(node, coordinator.url().toString(), KILLS + 1);
            try {
                await().atMost(Duration.ofMinutes(4)).until(() -> Files.exists(layout.controlSocket())
                        && log(KILLS + 1).contains("peer server on"));
                // at least one result through to its receipt, so the counts below are of something
                await().atMost(Duration.ofMinutes(5)).until(() -> !files(layout.receipts()).isEmpty() || !last.isAlive());
                assertThat(last.isAlive()).as("the last run alive; its log: %s", log(KILLS + 1)).isTrue();
                assertThat(ControlClient.request(layout.controlSocket(), "pause")).contains("\"paused\":true");
                await().atMost(Duration.ofMinutes(5)).until(() -> outboxResults(layout).isEmpty()
                        && !anyRunning(layout));
            } finally {
                RealProcess.stop(last);
            }
            assertEveryFileParses(layout, "after the last stop (random seed " + seed + ")");
            assertThat(temporaryFiles(node)).as("temporary files left (random seed %d)", seed).isEmpty();

            Identity nodeKey = IdentityStore.load(node.resolve(IdentityStore.FILE_NAME));
            List<Result> stored = SignedResults.check(operator.results("d", null).getEnvelopesList()).valid().stream()
                    .filter(v -> v.signer().equals(nodeKey.publicId())).map(v -> v.record()).toList();
            Set<String> units = new HashSet<>();
            for (Result r : stored) {
                assertThat(units.add(r.getWorkUnitId())).as("unit %s's results (random seed %d)", r.getWorkUnitId(), seed)
                        .isTrue();
            }
            Set<String> receipted = new HashSet<>();
            for (KeptReceipt k : new ReceiptBook(layout.receipts()).all()) {
                receipted.add(Envelopes.id(k.getResult()));
            }
            assertThat(stored).as("results stored from the node (random seed %d)", seed).isNotEmpty();
            assertThat(receipted).as("results with a receipt kept: one for each stored (random seed %d)", seed)
                    .hasSameSizeAs(stored);
        }
    }

    private Process start(Path node, String url, int k) throws IOException {
        return RealProcess.start(TestNetwork.nodeCommand("node", "--data-dir", node.toString(), "--coordinator", url,
                "--explore"), dir.resolve("node-" + k + ".log"));
    }

    /** Each file of the kinds the node keeps reads whole: what a restart reads before it works. */
    private static void assertEveryFileParses(NodeLayout layout, String when) throws Exception {
        for (Path f : outboxResults(layout)) {
            SignedEnvelope envelope = SignedEnvelope.parseFrom(Files.readAllBytes(f));
            assertThat(SignedResults.check(List.of(envelope)).invalid()).as("%s %s", f, when).isEmpty();
        }
        assertThat(files(layout.outbox().resolve("refused"))).as("results refused for good %s", when).isEmpty();
        int receiptFiles = files(layout.receipts()).size();
        assertThat(new ReceiptBook(layout.receipts()).all()).as("receipts that read, one a file, %s", when)
                .hasSize(receiptFiles);
        for (Path f : files(layout.buffer())) {
            String name = f.getFileName().toString();
            if (name.endsWith(".unit") || name.endsWith(".ahead")) {
                assertThat(WorkUnit.parseFrom(Files.readAllBytes(f)).getId()).as("%s %s", f, when).isNotEmpty();
            }
        }
        if (Files.exists(layout.runtimes())) {
            assertThat(JsonParser.parseString(Files.readString(layout.runtimes())).getAsJsonObject().has("seeds"))
                    .as("%s %s", layout.runtimes(), when).isTrue();
        }
        if (Files.exists(layout.endpointFile())) {
            assertThat(JsonParser.parseString(Files.readString(layout.endpointFile())).isJsonObject())
                    .as("%s %s", layout.endpointFile(), when).isTrue();
        }
        IdentityStore.load(layout.dataDir().resolve(IdentityStore.FILE_NAME));
    }

    private static List<Path> outboxResults(NodeLayout layout) throws IOException {
        return files(layout.outbox()).stream().filter(p -> p.getFileName().toString().endsWith(".result")).toList();
    }

    /** Whether a slot still holds a unit (its buffer file): a paused node ends the one it runs, and claims none. */
    private static boolean anyRunning(NodeLayout layout) throws IOException {
        return files(layout.buffer()).stream().anyMatch(p -> p.getFileName().toString().endsWith(".unit"));
    }

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return new ArrayList<>(files.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".tmp"))
                    .toList());
        }
    }

    private static List<Path> temporaryFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    private String log(int k) throws IOException {
        return RealProcess.output(dir.resolve("node-" + k + ".log"));
    }
}
