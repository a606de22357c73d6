package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.ops.audit.SignedResults;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.IdentityStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole `rhizome node` process SIGKILLed mid-fetch: it claimed a unit whose commit it lacks and
 * asked the only holder for it, and the holder (a real process held at crash point
 * {@code bundle-serving}, its bundle built, no byte sent) has not answered yet. Started again on its
 * data directory, the node fetches the commit once the holder serves, runs the unit and delivers one
 * result for it (not two: the unit it held at the kill is resumed or run, never reported twice), and
 * leaves no fetched bundle, quarantine, temporary or partial file behind. The other kill tests hold a
 * node inside an import ({@code NodeImportKillTest}) or a write ({@code BundleCacheKillTest}); none
 * killed one while the bytes were still to come.
 */
class MidFetchKillTest {
    @TempDir
    Path dir;

    @Test
    void aNodeKilledMidFetchFetchesAgainAndDeliversOneResultPerUnitLeavingNothingBehind() throws Exception {
        Path holder = dir.resolve("holder");
        Path fetcher = dir.resolve("fetcher");
        ByteString holderKey = IdentityStore.loadOrCreate(holder).publicId().toByteString();
        ByteString fetcherKey = IdentityStore.loadOrCreate(fetcher).publicId().toByteString();
        try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withLeaseDuration(Duration.ofHours(1)))) {
            CoordinatorClient operator = new CoordinatorClient(coordinator.url(), Identity.generate());
            Seed seed = TestNetwork.publishWithDirection(operator, holder, TestNetwork.slowSeed(3, 300), "d");
            String commit = seed.getCommit();
            // the holder runs no job (the units are the fetcher's) and holds its first serve
            Process held = RealProcess.start(node(holder, coordinator.url(), "0"), dir.resolve("holder.log"),
                    RealProcess.crashPoint(CrashPoints.BUNDLE_SERVING));
            Process restarted = null;
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> !held.isAlive() || operator.peers(commit)
                        .getPeersList().stream().anyMatch(p -> p.getNode().equals(holderKey)));
                assertThat(held.isAlive()).as("the holder runs; its log: %s", log("holder.log")).isTrue();
                Process first = RealProcess.start(node(fetcher, coordinator.url(), "1"), dir.resolve("first.log"));
                long firstPid = first.pid();
                try {
                    await().atMost(Duration.ofMinutes(4)).until(() -> !held.isAlive() || !first.isAlive()
                            || log("holder.log").contains("at crash point " + CrashPoints.BUNDLE_SERVING));
                    assertThat(held.isAlive() && first.isAlive()).as("the holder serving the fetcher; their logs: %s\n%s",
                            log("holder.log"), log("first.log")).isTrue();
                    assertThat(NodeImportKillTest.transfers(fetcher)).as("a fetch finished before the kill").doesNotContain(commit);
                } finally {
                    RealProcess.kill(first);
                }

                // the holder serves once its hold ends; the restarted fetcher's work asks for the commit again
                restarted = RealProcess.start(node(fetcher, coordinator.url(), "1"), dir.resolve("second.log"));
                Process second = restarted;
                await().atMost(Duration.ofMinutes(6)).until(() -> !second.isAlive() || !fetcherResults(operator, seed, fetcherKey).isEmpty());
                assertThat(second.isAlive()).as("the restarted fetcher; its log: %s", log("second.log")).isTrue();
                assertThat(NodeImportKillTest.transfers(fetcher)).as("the restarted fetcher's transfer").contains(commit);
                assertThat(NodeImportKillTest.bundlesOf(firstPid)).as("the killed fetcher's bundles in the temporary directory")
                        .isEmpty();
                RealProcess.stop(second);
                restarted = null;
            } finally {
                RealProcess.stop(held);
                if (restarted != null) {
                    RealProcess.stop(restarted);
                }
            }
            Map<String, Long> perUnit = fetcherResults(operator, seed, fetcherKey).stream()
                    .collect(Collectors.groupingBy(Result::getWorkUnitId, Collectors.counting()));
            assertThat(perUnit).as("the fetcher's results per unit").isNotEmpty().allSatisfy((unit, n) -> assertThat(n)
                    .as("results for unit %s", unit).isEqualTo(1));
            NodeLayout layout = new NodeLayout(fetcher);
            assertThat(NodeImportKillTest.filesIn(NodeImportKillTest.quarantines(layout.repository())))
                    .as("files in the fetcher's quarantines").isEmpty();
            try (Stream<Path> files = Files.walk(fetcher)) {
                assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp") || n.endsWith(".partial")))
                        .as("temporary or partial files left in the fetcher's data directory").isEmpty();
            }
        }
    }

    private static List<Result> fetcherResults(CoordinatorClient operator, Seed seed, ByteString key) throws Exception {
        List<Result> mine = new ArrayList<>();
        for (var valid : SignedResults.check(operator.results(null, seed.getCommit()).getEnvelopesList()).valid()) {
            if (valid.record().getRunner().equals(key)) {
                mine.add(valid.record());
            }
        }
        return mine;
    }

    private static List<String> node(Path dataDir, String url, String cpuJobs) {
        return TestNetwork.nodeCommand("node", "--data-dir", dataDir.toString(), "--coordinator", url, "--cpu-jobs", cpuJobs);
    }

    private String log(String name) throws IOException {
        return RealProcess.output(dir.resolve(name));
    }
}
