package dev.rhizome.node.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.node.git.BundleFile;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.protocol.support.RefusedPort;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerTransferTest {
    static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org");

    @TempDir
    Path tmp;

    static String seed(TestNode node) throws Exception {
        return node.repo.commitFiles(null, Map.of("train.py", "lr = 0.1\n".getBytes(UTF_8), "README.md", "seed".getBytes(UTF_8)),
                "seed", AUTHOR);
    }

    @Test
    void fetchesABundleFromAPeerAndLogsTheTransfer() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String seed = seed(alice);
            List<Long> progress = Collections.synchronizedList(new ArrayList<>());

            FetchResult result = bob.fetcher.fetch(seed, List.of(alice.endpoint()), (c, soFar, total) -> progress.add(soFar));

            assertThat(result.alreadyHad()).isFalse();
            assertThat(result.from()).isEqualTo(alice.endpoint());
            assertThat(result.bytes()).isPositive().isEqualTo(alice.server.bytesServed());
            assertThat(progress).last().isEqualTo(result.bytes());
            assertThat(bob.repo.has(seed)).isTrue();
            assertThat(bob.repo.readFile(seed, "train.py")).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("lr = 0.1\n"));
            TransferLog.Totals totals = TransferLog.read(bob.transferLog);
            assertThat(totals.transfers()).isEqualTo(1);
            assertThat(totals.bytesBySource()).containsExactly(Map.entry("127.0.0.1:" + alice.server.port(), result.bytes()));
        }
    }

    @Test
    void fetchesAnExperimentThinOnTopOfTheSeedItAlreadyHolds() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String seed = seed(alice);
            bob.fetcher.fetch(seed, List.of(alice.endpoint()), TransferProgress.NONE);
            String experiment = alice.repo.commitFiles(seed, Map.of("train.py", "lr = 0.2\n".getBytes(UTF_8)), "raise lr", AUTHOR);

            FetchResult result = bob.fetcher.fetch(experiment, List.of(alice.endpoint()), TransferProgress.NONE);

            BundleFile thin = alice.repo.bundle(experiment, List.of(seed));
            assertThat(thin.prerequisites()).containsExactly(seed);
            assertThat(result.bytes()).isEqualTo(thin.size()).isLessThan(alice.repo.bundle(experiment, List.of()).size());
            assertThat(bob.repo.commits()).containsExactlyInAnyOrder(seed, experiment);
            assertThat(bob.repo.parentOf(experiment)).contains(seed);
            // Bob now serves what he fetched.
            try (TestNode carol = new TestNode(tmp.resolve("carol"))) {
                carol.fetcher.fetch(experiment, List.of(bob.endpoint()), TransferProgress.NONE);
                assertThat(carol.repo.commits()).containsExactlyInAnyOrder(seed, experiment);
            }
            assertThat(TransferLog.read(bob.transferLog).transfers()).isEqualTo(2);
        }
    }

    @Test
    void aCommitAlreadyHeldNeedsNoNetwork() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice"))) {
            String seed = seed(alice);
            PeerEndpoint nowhere = PeerEndpoint.newBuilder().setHost("127.0.0.1").setPort(1).build();

            FetchResult result = alice.fetcher.fetch(seed, List.of(nowhere), TransferProgress.NONE);

            assertThat(result.alreadyHad()).isTrue();
            assertThat(result.bytes()).isZero();
            assertThat(TransferLog.read(alice.transferLog).transfers()).isZero();
        }
    }

    @Test
    void fallsBackPastAPeerThatIsDownAndOneThatLacksTheCommit() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"));
             TestNode empty = new TestNode(tmp.resolve("empty")); RefusedPort refused = new RefusedPort()) {
            String seed = seed(alice);
            PeerEndpoint down = PeerEndpoint.newBuilder().setHost("127.0.0.1").setPort(refused.port()).build();

            FetchResult result = bob.fetcher.fetch(seed, List.of(down, empty.endpoint(), alice.endpoint()), TransferProgress.NONE);

            assertThat(result.from().getPort()).isEqualTo(alice.server.port());
            assertThat(bob.repo.has(seed)).isTrue();
        }
    }

    @Test
    void failsListingEveryPeersProblemWhenNoneDelivers() throws Exception {
        try (TestNode bob = new TestNode(tmp.resolve("bob")); TestNode empty = new TestNode(tmp.resolve("empty"));
             RefusedPort refused = new RefusedPort()) {
            String missing = "a".repeat(40);
            int port = refused.port();
            PeerEndpoint down = PeerEndpoint.newBuilder().setHost("127.0.0.1").setPort(port).build();

            assertThatThrownBy(() -> bob.fetcher.fetch(missing, List.of(down, empty.endpoint()), TransferProgress.NONE))
                    .isInstanceOfSatisfying(FetchException.class, e -> {
                        assertThat(e.failures()).hasSize(2);
                        assertThat(e.failures().get(0)).startsWith("127.0.0.1:" + port + ": cannot connect");
                        assertThat(e.failures().get(1)).contains("NOT_FOUND");
                    });
            assertThatThrownBy(() -> bob.fetcher.fetch(missing, List.of(), TransferProgress.NONE))
                    .isInstanceOf(FetchException.class).hasMessageContaining("no peers");
        }
    }

    @Test
    void aPeerThatClaimsAnotherNodeIdIsSkipped() throws Exception {
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"))) {
            String seed = seed(alice);
            PeerEndpoint impostor = alice.endpoint().toBuilder().setNode(bob.identity.publicId().toByteString()).build();

            assertThatThrownBy(() -> bob.fetcher.fetch(seed, List.of(impostor), TransferProgress.NONE))
                    .isInstanceOf(FetchException.class).hasMessageContaining("answers as node");
            assertThat(bob.repo.has(seed)).isFalse();
        }
    }

    @Test
    void aLargeBundleStreamsInChunksUnderBackpressure() throws Exception {
        PeerConfig smallChunks = new PeerConfig(128 << 10, 16 << 10, 64L << 20, Duration.ofSeconds(2), Duration.ofSeconds(5));
        try (TestNode alice = new TestNode(tmp.resolve("alice"), smallChunks);
             TestNode bob = new TestNode(tmp.resolve("bob"), smallChunks)) {
            byte[] weights = new byte[2 << 20];
            new Random(7).nextBytes(weights);  // incompressible, so the bundle stays about this big
            String commit = alice.repo.commitFiles(null, Map.of("weights.bin", weights), "weights", AUTHOR);
            List<Long> progress = Collections.synchronizedList(new ArrayList<>());

            FetchResult result = bob.fetcher.fetch(commit, List.of(alice.endpoint()), (c, soFar, total) -> progress.add(soFar));

            assertThat(result.bytes()).isGreaterThan(2 << 20);
            assertThat(progress).hasSizeGreaterThan(100).isSorted();
            assertThat(bob.repo.readFile(commit, "weights.bin")).hasValueSatisfying(b -> assertThat(b).isEqualTo(weights));
        }
    }

    @Test
    void aStalledPeerIsAbandonedForTheNext() throws Exception {
        // A window a sixth of the default's: at 300 ms, a loaded machine's honest peer took longer to
        // send its first bytes and was abandoned too.
        PeerConfig quick = new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(5), Duration.ofSeconds(5));
        try (TestNode alice = new TestNode(tmp.resolve("alice")); TestNode bob = new TestNode(tmp.resolve("bob"), quick);
             ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            String seed = seed(alice);
            PeerEndpoint stalled = PeerEndpoint.newBuilder().setHost("127.0.0.1").setPort(silent.getLocalPort()).build();
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    accepted.add(silent.accept());  // and never answer
                } catch (IOException ignored) {
                    // closed at the end of the test
                }
            });
            acceptor.start();

            long started = System.nanoTime();
            FetchResult result = bob.fetcher.fetch(seed, List.of(stalled, alice.endpoint()), TransferProgress.NONE);

            assertThat(result.from().getPort()).isEqualTo(alice.server.port());
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the stalled peer left at its window, not the default's")
                    .isLessThan(PeerConfig.defaults().idleTimeout());
            acceptor.join(1000);
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
