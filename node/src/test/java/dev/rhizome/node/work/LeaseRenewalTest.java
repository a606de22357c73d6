package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lease about to run out is renewed before the unit runs. A renewal the coordinator refuses means
 * the unit is no longer this node's: it is dropped. One that cannot reach the coordinator (a node
 * restarted while its coordinator restarts, in the kill storm) used to be taken for a refusal too:
 * the unit, still leased to the node, was dropped and waited for its deadline. It now runs on the
 * lease it holds.
 */
class LeaseRenewalTest {
    @TempDir
    Path dir;
    private NodeRepository repo;
    private ExecutorService prefetcher;
    private final Identity runner = Identity.generate();

    @BeforeEach
    void setUp() throws IOException {
        repo = NodeRepository.open(dir.resolve("repo"));
        prefetcher = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        prefetcher.shutdownNow();
        repo.close();
    }

    @Test
    void aUnitWhoseRenewalCannotReachTheCoordinatorRunsOnTheLeaseItHolds() throws Exception {
        RenewFails work = run(new CoordinatorException("coordinator at http://127.0.0.1:9 is unreachable: connection refused",
                new ConnectException("Connection refused")));
        assertThat(work.explored.get()).as("the unit ran").isEqualTo(1);
    }

    @Test
    void aUnitWhoseRenewalIsRefusedIsDropped() throws Exception {
        RenewFails work = run(new CoordinatorException(403, Error.Code.FORBIDDEN, "work unit u is not leased to you"));
        assertThat(work.explored.get()).as("the unit ran").isZero();
        assertThat(new UnitBuffer(dir.resolve("buffer")).get("cpu0")).as("dropped from the buffer").isEmpty();
    }

    /**
     * A renewed lease's deadline is the one the slot carries on with: the unit as claimed kept its
     * first, so a give-back after its job starved was kept (and logged) with a deadline long past.
     * The buffer holds it too, for a restart.
     */
    @Test
    void aRenewedDeadlineIsTheOneTheUnitRunsWithAndTheBufferKeeps() throws Exception {
        long renewedTo = System.currentTimeMillis() + 3_600_000;
        java.util.List<Long> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.List<Long> buffered = new java.util.concurrent.CopyOnWriteArrayList<>();
        UnitBuffer buffer = new UnitBuffer(dir.resolve("buffer"));
        RenewFails work = new RenewFails(exploration(), null) {
            @Override
            public long renew(WorkUnit u) {
                renewals.incrementAndGet();
                return renewedTo;
            }

            @Override
            public void explore(WorkUnit u) throws Exception {
                seen.add(u.getLeaseDeadlineMs());
                buffer.get("cpu0").ifPresent(b -> buffered.add(b.getLeaseDeadlineMs()));
                super.explore(u);
            }
        };
        runSlot(work);
        assertThat(seen).as("the unit run carries the renewed deadline").containsExactly(renewedTo);
        assertThat(buffered).as("and the buffer keeps it").containsExactly(renewedTo);
    }

    private static WorkUnit exploration() {
        return WorkUnit.newBuilder().setId("u").setKind(WorkUnit.Kind.EXPLORE).setSeed("s").setDirection("d")
                .setCommit("ab".repeat(20)).setSeedCommit("ab".repeat(20))
                .setLeaseDeadlineMs(System.currentTimeMillis() + 10_000).build();
    }

    /** A real slot on one exploration whose lease ends in 10 s, within the renewal margin, until its renewal was tried. */
    private RenewFails run(CoordinatorException renewal) throws Exception {
        return runSlot(new RenewFails(exploration(), renewal));
    }

    private RenewFails runSlot(RenewFails work) throws Exception {
        Evaluator evaluator = new Evaluator(runner, repo, null, new JobRunner(PlainLauncher.atCallersPriority()), PlainLauncher.atCallersPriority(),
                "cpu-test", dir.resolve("work"), dir.resolve("logs"), Clock.systemUTC());
        SlotWorker worker = new SlotWorker(new Slot("cpu0", "cpu-test", Optional.empty()), evaluator, work, true, false,
                new UnitBuffer(dir.resolve("buffer")), new RuntimeEstimates(), prefetcher, dir.resolve("logs"),
                Clock.systemUTC());
        Thread thread = new Thread(worker, "slot");
        thread.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> work.renewals.get() > 0 && work.claims.size() > 1);
        } finally {
            work.stop.set(true);
            thread.interrupt();
            thread.join(10_000);
        }
        assertThat(work.renewals.get()).isEqualTo(1);
        return work;
    }

    /** Hands out one exploration, whose renewal fails as given. */
    private static class RenewFails extends OneUnitWork {
        final AtomicInteger renewals = new AtomicInteger();
        private final CoordinatorException renewal;

        RenewFails(WorkUnit unit, CoordinatorException renewal) {
            super(unit);
            this.renewal = renewal;
        }

        @Override
        public long renew(WorkUnit u) throws CoordinatorException {
            renewals.incrementAndGet();
            throw renewal;
        }
    }
}
