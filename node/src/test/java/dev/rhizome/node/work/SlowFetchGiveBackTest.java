package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large bundle under a low download cap went on fetching past its unit's lease: the unit was held
 * by a node that had not started it. Now its lease is renewed while the fetch goes on, up to what its
 * job may take (at least a minute); then the unit is given back, saying why, and is not run here; the
 * fetch itself goes on. Time runs 10 times faster on the slot's clock, so the minute is 6 s.
 */
class SlowFetchGiveBackTest {
    private static final int SPEED = 10;
    @TempDir
    Path dir;
    private NodeRepository repo;
    private ExecutorService prefetcher;

    @BeforeEach
    void setUp() throws Exception {
        repo = NodeRepository.open(dir.resolve("repo"));
        prefetcher = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        prefetcher.shutdownNow();
        repo.close();
    }

    @Test
    void aFetchThatOutlastsItsJobsLimitGivesTheUnitBackAndItIsNotRun() throws Exception {
        Clock clock = fast();
        WorkUnit unit = WorkUnit.newBuilder().setId("u").setKind(WorkUnit.Kind.EVALUATE).setSeed("s").setDirection("d")
                .setCommit("ab".repeat(20)).setSeedCommit("ab".repeat(20))
                .setManifest(Manifest.newBuilder().setTimeoutSeconds(1))
                .setLeaseDeadlineMs(clock.millis() + 10_000).build();
        SlowFetch work = new SlowFetch(unit, clock);
        UnitBuffer buffer = new UnitBuffer(dir.resolve("buffer"));
        Evaluator evaluator = new Evaluator(Identity.generate(), repo, null, new JobRunner(PlainLauncher.atCallersPriority()),
                PlainLauncher.atCallersPriority(), "cpu-test", dir.resolve("work"), dir.resolve("logs"), clock);
        SlotWorker worker = new SlotWorker(new Slot("cpu0", "cpu-test", Optional.empty()), evaluator, work, false, false,
                buffer, new RuntimeEstimates(), prefetcher, dir.resolve("logs"), clock);
        Thread thread = new Thread(worker, "slot");
        thread.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> worker.status().state().equals("fetching"));
            // `node status` names the unit being fetched and its lease as renewed meanwhile
            await().atMost(Duration.ofSeconds(60)).until(() -> work.renewals.get() > 0);
            SlotStatus.Lease lease = worker.status().lease();
            assertThat(lease).as("the held lease in node status while fetching").isNotNull();
            assertThat(lease.unit()).isEqualTo("u");
            assertThat(lease.renewals()).isPositive();
            assertThat(lease.deadlineMs()).isGreaterThan(work.claimedDeadline);
            // the fetch bound is a minute of the slot's clock: 6 s here, and generous room under load
            await().atMost(Duration.ofSeconds(120)).until(() -> !work.givenBack.isEmpty());
            assertThat(work.givenBack.get(0)).contains("still being fetched after 60 s").contains("download cap")
                    .contains("the fetch goes on");
            assertThat(work.renewals.get()).as("held meanwhile: its 30 s lease renewed while the fetch went on")
                    .isPositive();
            assertThat(work.givenBackDeadlines.get(0)).as("given back with the deadline its lease has now")
                    .isGreaterThan(work.claimedDeadline);
            assertThat(buffer.get("cpu0")).as("no longer this node's: a restart does not resume it").isEmpty();
            assertThat(work.fetchInterrupted.get()).as("the fetch was not cut").isZero();
            // named by the node's claims from before the give-back left: the coordinator leases no unit of
            // it back to another slot of this node while the download goes on
            assertThat(work.fetchingGivenBack).as("the commit named while its download goes on")
                    .containsExactly("ab".repeat(20));
            // `node status` shows the download as a fetch for no unit, and no lease held for the unit given back
            SlotStatus shown = worker.status();
            assertThat(shown.state()).isEqualTo("fetching");
            assertThat(shown.lease()).as("the unit given back is not shown as held").isNull();
            assertThat(shown.fetch()).as("the download, shown as a fetch without a unit")
                    .isEqualTo(new SlotStatus.Fetch("ab".repeat(20), shown.fetch().startedMs(), null, "u"));

            work.fetched.countDown();
            await().atMost(Duration.ofSeconds(60)).until(() -> work.claims.size() > 1);
            assertThat(work.reported).as("not run: nothing reported").isEmpty();
            assertThat(work.fetchingGivenBack).as("named no more once the download ended").isEmpty();
            assertThat(worker.status().fetch()).isNull();
        } finally {
            work.fetched.countDown();
            work.stop.set(true);
            thread.interrupt();
            thread.join(10_000);
        }
    }

    /**
     * A claim already waiting at the coordinator when another slot's give-back opened the unit is
     * given it, though the node still fetches its commit: the slot gives it back at once, saying why,
     * does not fetch or run it, and keeps it in no buffer (a restart does not resume it).
     */
    @Test
    void aUnitOfACommitStillFetchedForAGiveBackIsGivenBackAtOnce() throws Exception {
        Clock clock = Clock.systemUTC();
        WorkUnit unit = WorkUnit.newBuilder().setId("u2").setKind(WorkUnit.Kind.EVALUATE).setSeed("s").setDirection("d")
                .setCommit("cd".repeat(20)).setSeedCommit("cd".repeat(20))
                .setManifest(Manifest.newBuilder().setTimeoutSeconds(1))
                .setLeaseDeadlineMs(clock.millis() + 600_000).build();
        List<String> givenBack = new CopyOnWriteArrayList<>();
        AtomicInteger fetches = new AtomicInteger();
        OneUnitWork work = new OneUnitWork(unit) {
            @Override
            public boolean fetchingGivenBack(String commit) {
                return commit.equals("cd".repeat(20));
            }

            @Override
            public void fetch(WorkUnit u) {
                fetches.incrementAndGet();
            }

            @Override
            public void giveBack(Slot slot, WorkUnit u, String reason, boolean starved) {
                givenBack.add(u.getId() + ": " + reason);
            }
        };
        UnitBuffer buffer = new UnitBuffer(dir.resolve("buffer"));
        Evaluator evaluator = new Evaluator(Identity.generate(), repo, null, new JobRunner(PlainLauncher.atCallersPriority()),
                PlainLauncher.atCallersPriority(), "cpu-test", dir.resolve("work"), dir.resolve("logs"), clock);
        SlotWorker worker = new SlotWorker(new Slot("cpu1", "cpu-test", Optional.empty()), evaluator, work, false, false,
                buffer, new RuntimeEstimates(), prefetcher, dir.resolve("logs"), clock);
        Thread thread = new Thread(worker, "slot");
        thread.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> work.claims.size() > 1);
            assertThat(givenBack).singleElement().asString().startsWith("u2: ")
                    .contains("still being fetched here for a unit given back");
            assertThat(fetches.get()).as("not fetched again: the download goes on elsewhere on this node").isZero();
            assertThat(buffer.get("cpu1")).as("not this node's: a restart does not resume it").isEmpty();
            assertThat(worker.status().lease()).isNull();
        } finally {
            work.stop.set(true);
            thread.interrupt();
            thread.join(10_000);
        }
    }

    /** The slot's clock, {@value #SPEED} times faster than the wall's. */
    private static Clock fast() {
        long base = System.currentTimeMillis();
        long start = System.nanoTime();
        return new Clock() {
            @Override
            public long millis() {
                return base + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) * SPEED;
            }

            @Override
            public Instant instant() {
                return Instant.ofEpochMilli(millis());
            }

            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }
        };
    }

    /** One evaluation whose fetch goes on until the test lets it end; each renewal grants 30 s more. */
    private static final class SlowFetch extends OneUnitWork {
        final CountDownLatch fetched = new CountDownLatch(1);
        final AtomicInteger renewals = new AtomicInteger();
        final AtomicInteger fetchInterrupted = new AtomicInteger();
        final List<String> givenBack = new CopyOnWriteArrayList<>();
        final List<Long> givenBackDeadlines = new CopyOnWriteArrayList<>();
        volatile long claimedDeadline;
        final List<Result> reported = new CopyOnWriteArrayList<>();
        /** The commits the node's claims name as fetched for units given back, as the node keeps them. */
        final java.util.Set<String> fetchingGivenBack = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private final Clock clock;

        SlowFetch(WorkUnit unit, Clock clock) {
            super(unit);
            this.clock = clock;
        }

        /** Leased for 30 s of the slot's clock from the claim (3 s here), shorter than the fetch may take. */
        @Override
        public WorkUnit claim(Slot slot, boolean mayExplore, CoordinatorClient.Recorder keep) throws IOException {
            WorkUnit unit = super.claim(slot, mayExplore, u -> { });
            if (unit == null) {
                return null;
            }
            claimedDeadline = clock.millis() + 30_000;
            WorkUnit leased = unit.toBuilder().setLeaseDeadlineMs(claimedDeadline).build();
            keep.record(leased);
            return leased;
        }

        @Override
        public void fetch(WorkUnit u) throws Exception {
            try {
                fetched.await();
            } catch (InterruptedException e) {
                fetchInterrupted.incrementAndGet();
                throw e;
            }
        }

        @Override
        public long renew(WorkUnit u) {
            renewals.incrementAndGet();
            return clock.millis() + 30_000;
        }

        @Override
        public void giveBack(Slot slot, WorkUnit unit, String reason, boolean starved) {
            givenBackDeadlines.add(unit.getLeaseDeadlineMs());
            givenBack.add(reason);
        }

        @Override
        public void report(Slot slot, Result result) {
            reported.add(result);
        }

        @Override
        public void fetchingGivenBack(String commit, boolean on) {
            if (on) {
                assertThat(givenBack).as("named before the give-back can open the unit").isEmpty();
                fetchingGivenBack.add(commit);
            } else {
                fetchingGivenBack.remove(commit);
            }
        }

        @Override
        public boolean fetchingGivenBack(String commit) {
            return fetchingGivenBack.contains(commit);
        }
    }
}
