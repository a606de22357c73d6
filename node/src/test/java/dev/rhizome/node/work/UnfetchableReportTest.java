package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.node.peer.TransferProgress;
import dev.rhizome.node.peer.RawWire;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.support.RefusedPort;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slot that claims an evaluation whose commit no peer serves reports it UNFETCHABLE at once,
 * naming the peers it tried, instead of holding the lease until it runs out; one that claims an
 * exploration whose base no peer serves gives it back. The fetch is real:
 * JGit repository, bundle fetcher, and a peer address on loopback where nobody listens.
 */
class UnfetchableReportTest {
    @TempDir
    Path dir;
    private NodeRepository repo;
    private BundleFetcher bundles;
    private ExecutorService prefetcher;
    /** The only peer named for the unit's commit, and the coordinator: nobody answers there. */
    private RefusedPort refused;
    private final Identity runner = Identity.generate();

    @BeforeEach
    void setUp() throws IOException {
        repo = NodeRepository.open(dir.resolve("repo"));
        bundles = new BundleFetcher(repo, runner, PeerConfig.defaults(), new TransferLog(dir.resolve("transfers.log")));
        prefetcher = Executors.newCachedThreadPool();
        refused = new RefusedPort();
    }

    @AfterEach
    void tearDown() throws IOException {
        refused.close();
        prefetcher.shutdownNow();
        bundles.close();
        repo.close();
    }

    @Test
    void anEvaluationWhoseCommitNoPeerServesIsReportedUnfetchable() throws Exception {
        int deadPort = refused.port();
        String commit = "ab".repeat(20);
        WorkUnit unit = WorkUnit.newBuilder().setId("unit-1").setKind(WorkUnit.Kind.EVALUATE).setSeed("tiny-lm")
                .setDirection("lr").setCommit(commit).setParent("cd".repeat(20)).setSeedCommit("cd".repeat(20))
                .setProposer(ByteString.copyFromUtf8("proposer")).setRandomSeed(42).addPeers(deadPeer(deadPort))
                .setLeaseDeadlineMs(Long.MAX_VALUE)
                .setManifest(Manifest.newBuilder().setTimeoutSeconds(60)
                        .setMetric(MetricSpec.newBuilder().setName("val_bpb")))
                .build();
        OneUnit work = runSlot(unit, deadPort, false, w -> !w.reports.isEmpty());
        assertThat(work.reports).hasSize(1);
        Result r = work.reports.get(0);
        assertThat(r.getStatus()).isEqualTo(Result.Status.UNFETCHABLE);
        assertThat(r.getWorkUnitId()).isEqualTo("unit-1");
        assertThat(r.getCommit()).isEqualTo(commit);
        assertThat(r.getRandomSeed()).isEqualTo(42);
        assertThat(r.getRunner()).isEqualTo(runner.publicId().toByteString());
        assertThat(r.getHardwareClass()).isEqualTo("cpu-test");
        assertThat(r.getReason()).contains(commit).contains("127.0.0.1:" + deadPort);
        assertThat(r.getTimeMs()).isPositive();
        assertThat(repo.has(commit)).isFalse();
        // reported, so a node killed now and restarted must not resume the unit and sign a second result
        assertThat(new UnitBuffer(dir.resolve("buffer")).get("cpu0")).isEmpty();
    }

    /**
     * An exploration whose base no peer serves used to fail the slot (an ERROR with a trace) and
     * hold one of its direction's few exploration places until the lease ran out. It is given back
     * at once, saying why, and the slot asks for no exploration for a while (the next one of that
     * direction would start from the same commit) while it still takes evaluations.
     */
    @Test
    void anExplorationWhoseBaseNoPeerServesIsGivenBackAndTheSlotStopsAskingToExplore() throws Exception {
        int deadPort = refused.port();
        String base = "ef".repeat(20);
        WorkUnit unit = WorkUnit.newBuilder().setId("explore-1").setKind(WorkUnit.Kind.EXPLORE).setSeed("tiny-lm")
                .setDirection("lr").setCommit(base).setSeedCommit(base).setRandomSeed(7).addPeers(deadPeer(deadPort))
                .setLeaseDeadlineMs(Long.MAX_VALUE).build();
        OneUnit work = runSlot(unit, deadPort, true, w -> !w.closedUnexplored.isEmpty() && w.claims.size() >= 3);
        assertThat(work.closedUnexplored).hasSize(1);
        assertThat(work.closedUnexplored.get(0).getKey()).isEqualTo("explore-1");
        assertThat(work.closedUnexplored.get(0).getValue()).contains(base).contains("127.0.0.1:" + deadPort);
        assertThat(work.reports).isEmpty();
        assertThat(work.explored.get()).isZero();
        // the first claim might explore; every claim after the failed base asks for evaluations only
        assertThat(work.claims.get(0)).isTrue();
        assertThat(work.claims.subList(1, work.claims.size())).containsOnly(false);
        assertThat(new UnitBuffer(dir.resolve("buffer")).get("cpu0")).isEmpty();
    }


    /**
     * Round 28, end to end over the wire: the only holders named for the unit's commit are rogues
     * written from the schemas, one answering every request BUSY (asking to be retried in a second),
     * one proving its key and then sending nothing. The slot reports the unit UNFETCHABLE naming both,
     * within the fetcher's bounds (three rounds, each bounded by the idle limit), and moves on; the
     * rogues' connections are closed and no thread is left behind for them.
     */
    @Test
    void anEvaluationWhoseOnlyHoldersAreBusyForeverOrServeNothingIsReportedUnfetchable() throws Exception {
        Set<String> threadsBefore = threadNames();
        String commit = "be".repeat(20);
        try (RogueServer busy = new RogueServer((in, out) -> {
                    while (RawWire.read(in) != null) {
                        RawWire.write(out, PeerMessage.newBuilder().setError(Error.newBuilder().setCode(Error.Code.UNAVAILABLE)
                                .setMessage("busy").setRetryAfterMs(1_000)).build());
                    }
                });
             RogueServer silent = new RogueServer((in, out) -> {
                    while (RawWire.read(in) != null) {
                        // the request read, nothing ever sent
                    }
                });
             BundleFetcher impatient = new BundleFetcher(repo, runner, new PeerConfig(1 << 20, 256 << 10, 64L << 20,
                     Duration.ofSeconds(2), Duration.ofSeconds(1)), new TransferLog(dir.resolve("rogues.log")))) {
            WorkUnit unit = WorkUnit.newBuilder().setId("unit-r").setKind(WorkUnit.Kind.EVALUATE).setSeed("tiny-lm")
                    .setDirection("lr").setCommit(commit).setParent("cd".repeat(20)).setSeedCommit("cd".repeat(20))
                    .setProposer(ByteString.copyFromUtf8("proposer")).setRandomSeed(1)
                    .addPeers(busy.endpoint()).addPeers(silent.endpoint()).setLeaseDeadlineMs(Long.MAX_VALUE)
                    .setManifest(Manifest.newBuilder().setTimeoutSeconds(60).setMetric(MetricSpec.newBuilder().setName("val_bpb")))
                    .build();

            OneUnit work = runSlot(impatient, unit, refused.port(), false, w -> !w.reports.isEmpty(), Duration.ofSeconds(90));

            Result r = work.reports.get(0);
            assertThat(r.getStatus()).isEqualTo(Result.Status.UNFETCHABLE);
            assertThat(r.getReason()).contains(commit).contains("127.0.0.1:" + busy.port()).contains("127.0.0.1:" + silent.port());
            assertThat(repo.has(commit)).isFalse();
            assertThat(busy.connections.get()).as("connections to the busy rogue").isPositive();
            assertThat(silent.connections.get()).as("connections to the silent rogue").isPositive();
            await().atMost(Duration.ofSeconds(30)).until(() -> busy.open.get() == 0 && silent.open.get() == 0);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> threadNames().size() <= threadsBefore.size() + 4);
    }

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).collect(Collectors.toSet());
    }

    /** A holder played by hand: it proves its key to each fetcher, then {@code then} runs on the connection. */
    private static final class RogueServer implements AutoCloseable {
        interface Then {
            void run(InputStream in, OutputStream out) throws IOException;
        }

        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger open = new AtomicInteger();
        private final Identity identity = Identity.generate();
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final ExecutorService threads = Executors.newCachedThreadPool();

        RogueServer(Then then) throws IOException {
            threads.execute(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        connections.incrementAndGet();
                        open.incrementAndGet();
                        threads.execute(() -> {
                            try (s) {
                                PeerMessage hello = RawWire.read(s.getInputStream());
                                if (hello != null) {
                                    RawWire.answerFetch(hello, s.getInputStream(), s.getOutputStream(), identity);
                                    then.run(s.getInputStream(), s.getOutputStream());
                                }
                            } catch (IOException gone) {
                                // the fetcher hung up
                            } finally {
                                open.decrementAndGet();
                            }
                        });
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        int port() {
            return socket.getLocalPort();
        }

        PeerEndpoint endpoint() {
            return PeerEndpoint.newBuilder().setNode(identity.publicId().toByteString()).setHost("127.0.0.1").setPort(port()).build();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            threads.shutdownNow();
        }
    }

    private static PeerEndpoint deadPeer(int port) {
        return PeerEndpoint.newBuilder().setNode(Identity.generate().publicId().toByteString()).setHost("127.0.0.1")
                .setPort(port).build();
    }

    /** Runs a real slot on the one unit until {@code done} holds of what it did, then stops it. */
    private OneUnit runSlot(WorkUnit unit, int deadPort, boolean mayExplore, Predicate<OneUnit> done)
            throws Exception {
        return runSlot(bundles, unit, deadPort, mayExplore, done, Duration.ofSeconds(30));
    }

    private OneUnit runSlot(BundleFetcher bundles, WorkUnit unit, int deadPort, boolean mayExplore, Predicate<OneUnit> done,
            Duration within) throws Exception {
        // Nobody answers at the coordinator's address either, so only the unit's peer is asked, every round.
        CommitFetcher fetcher = new CommitFetcher((c, hints, reach) -> bundles.fetch(c, hints, TransferProgress.NONE),
                new CoordinatorClient("http://127.0.0.1:" + deadPort, runner), 1);
        Evaluator evaluator = new Evaluator(runner, repo, fetcher, new JobRunner(PlainLauncher.atCallersPriority()),
                PlainLauncher.atCallersPriority(), "cpu-test", dir.resolve("work"), dir.resolve("logs"), Clock.systemUTC());
        OneUnit work = new OneUnit(unit, fetcher);
        SlotWorker worker = new SlotWorker(new Slot("cpu0", "cpu-test", Optional.empty()), evaluator, work, mayExplore,
                false, new UnitBuffer(dir.resolve("buffer")), new RuntimeEstimates(), prefetcher, dir.resolve("logs"),
                Clock.systemUTC());
        Thread thread = new Thread(worker, "slot");
        thread.start();
        try {
            await().atMost(within).until(() -> done.test(work));
        } finally {
            work.stop.set(true);
            thread.interrupt();
            thread.join(10_000);
        }
        return work;
    }

    /** Hands out one unit, fetches through the real fetch path, and keeps what the slot reports. */
    private static final class OneUnit extends OneUnitWork {
        final List<Result> reports = new CopyOnWriteArrayList<>();
        final List<Map.Entry<String, String>> closedUnexplored = new CopyOnWriteArrayList<>();
        private final CommitFetcher fetcher;

        OneUnit(WorkUnit unit, CommitFetcher fetcher) {
            super(unit);
            this.fetcher = fetcher;
        }

        @Override
        public void fetch(WorkUnit u) throws Exception {
            fetcher.fetch(u.getCommit(), u.getPeersList());
        }

        @Override
        public void report(Slot slot, Result result) {
            reports.add(result);
        }

        @Override
        public void closeUnexplored(WorkUnit u, String reason) {
            closedUnexplored.add(Map.entry(u.getId(), reason));
        }
    }
}
