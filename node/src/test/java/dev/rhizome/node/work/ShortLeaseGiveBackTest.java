package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator that leases a unit for less than this node measured its seed's jobs take (an older
 * one, which does not read expected_ms_by_seed, under a fixed lease) used to see the job run past
 * the deadline, its holder charged and its result kept as TOO_LATE. The node renews, finds the
 * lease still short, and gives the unit back unrun, saying why.
 */
class ShortLeaseGiveBackTest {
    @TempDir
    Path dir;
    private NodeRepository repo;
    private ExecutorService prefetcher;

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
    void aUnitWhoseRenewedLeaseIsShorterThanItsSeedsMeasuredRunIsGivenBackUnrun() throws Exception {
        RuntimeEstimates estimates = new RuntimeEstimates();
        estimates.record("s", 120_000);  // its jobs took two minutes here
        ShortLease work = new ShortLease(evaluation(), Duration.ofMinutes(1));
        runSlot(work, estimates);

        assertThat(work.givenBack).as("given back once, with its reason").hasSize(1);
        assertThat(work.givenBack.get(0)).contains("seed s").contains("took up to 120 s")
                .contains("would end after the lease");
        assertThat(work.renewals.get()).as("renewed first: a longer lease would have covered it").isEqualTo(1);
        assertThat(work.reported).as("not run: nothing reported").isEmpty();
        assertThat(new UnitBuffer(dir.resolve("buffer")).get("cpu0")).as("no longer held").isEmpty();
    }

    @Test
    void aSeedNotMeasuredHereIsNotGivenBackWhateverItsLease() throws Exception {
        RuntimeEstimates estimates = new RuntimeEstimates();
        estimates.record("another seed", 120_000);
        ShortLease work = new ShortLease(evaluation(), Duration.ofMinutes(1));
        runSlot(work, estimates);

        assertThat(work.givenBack).as("the coordinator cannot know what was never measured: no loop").isEmpty();
    }

    private static WorkUnit evaluation() {
        return WorkUnit.newBuilder().setId("u").setKind(WorkUnit.Kind.EVALUATE).setSeed("s").setDirection("d")
                .setCommit("ab".repeat(20)).setSeedCommit("ab".repeat(20))
                .setLeaseDeadlineMs(System.currentTimeMillis() + 10_000).build();
    }

    private void runSlot(ShortLease work, RuntimeEstimates estimates) throws Exception {
        Evaluator evaluator = new Evaluator(Identity.generate(), repo, null,
                new JobRunner(PlainLauncher.atCallersPriority()), PlainLauncher.atCallersPriority(), "cpu-test",
                dir.resolve("work"), dir.resolve("logs"), Clock.systemUTC());
        SlotWorker worker = new SlotWorker(new Slot("cpu0", "cpu-test", Optional.empty()), evaluator, work, false,
                false, new UnitBuffer(dir.resolve("buffer")), estimates, prefetcher, dir.resolve("logs"),
                Clock.systemUTC());
        Thread thread = new Thread(worker, "slot");
        thread.start();
        try {
            // the unit is done with (given back, or run and reported) before the slot claims again
            await().atMost(Duration.ofSeconds(60)).until(() -> work.claims.size() > 1);
        } finally {
            work.stop.set(true);
            thread.interrupt();
            thread.join(10_000);
        }
    }

    /** Hands out one evaluation whose lease, renewed, runs for {@code lease}. */
    private static final class ShortLease extends OneUnitWork {
        final AtomicInteger renewals = new AtomicInteger();
        final List<String> givenBack = new CopyOnWriteArrayList<>();
        final List<Result> reported = new CopyOnWriteArrayList<>();
        private final Duration lease;

        ShortLease(WorkUnit unit, Duration lease) {
            super(unit);
            this.lease = lease;
        }

        @Override
        public long renew(WorkUnit u) {
            renewals.incrementAndGet();
            return System.currentTimeMillis() + lease.toMillis();
        }

        @Override
        public void giveBack(Slot slot, WorkUnit unit, String reason, boolean starved) {
            givenBack.add(reason);
        }

        @Override
        public void report(Slot slot, Result result) {
            reported.add(result);
        }
    }
}
