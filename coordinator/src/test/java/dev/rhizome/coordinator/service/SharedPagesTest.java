package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.LoadScaledBudget;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SharedPages} on a real store's write version: identical asks share a build (those that
 * come while it runs wait for it), a write moves every page out, a failed build is nobody's
 * answer but its caller's, and a store written by others serves a page at most the bound after its
 * build began.
 */
class SharedPagesTest {
    @TempDir
    Path dir;

    private final Identity operator = Identity.generate();
    private int seeds;

    /** A write that changes a row: one that changes none leaves the version (the idle sweep's). */
    private void write(Store store) {
        Seed seed = Fixtures.seed(operator, "seed-" + ++seeds, Fixtures.commit(), Fixtures.manifest(1, 0.01), seeds);
        store.inTransaction(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), seeds);
            return null;
        });
    }

    @Test
    void identicalAsksShareOneBuildUntilAWriteEnds() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir)) {
            SharedPages pages = new SharedPages(store);
            AtomicInteger builds = new AtomicInteger();
            EnvelopeList first = pages.get("r", List.of("a", "10"), () -> page(builds));
            assertThat(pages.get("r", List.of("a", "10"), () -> page(builds))).isSameAs(first);
            assertThat(builds).hasValue(1);
            assertThat(pages.get("r", List.of("b", "10"), () -> page(builds))).as("another query").isNotSameAs(first);
            assertThat(pages.get("other", List.of("a", "10"), () -> page(builds))).as("another route").isNotSameAs(first);
            assertThat(builds).hasValue(3);

            write(store);  // any write transaction that changed a row, acknowledged once it returns
            EnvelopeList after = pages.get("r", List.of("a", "10"), () -> page(builds));
            assertThat(after).as("built again after a write").isNotSameAs(first);
            assertThat(builds).hasValue(4);
            assertThat(pages.built()).isEqualTo(4);
            assertThat(pages.shared()).isEqualTo(1);
        }
    }

    @Test
    void asksWhileABuildRunsWaitForItAndAFailedBuildIsKeptForNobody() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir)) {
            SharedPages pages = new SharedPages(store);
            AtomicInteger builds = new AtomicInteger();
            CountDownLatch building = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                Future<EnvelopeList> builder = heldBuild(pool, pages, builds, building, release);
                holdUntil(building);
                List<Future<EnvelopeList>> waiting = new ArrayList<>();
                for (int i = 0; i < 7; i++) {
                    waiting.add(pool.submit(() -> pages.get("r", List.of(), () -> page(builds))));
                }
                // all seven wait on the build in flight before it ends
                await().atMost(new LoadScaledBudget(Duration.ofSeconds(20), Duration.ofSeconds(60)).now())
                        .until(() -> pages.waiting() == 7);
                assertThat(waiting).noneMatch(Future::isDone);
                release.countDown();
                EnvelopeList built = builder.get(30, TimeUnit.SECONDS);
                for (Future<EnvelopeList> f : waiting) {
                    assertThat(f.get(30, TimeUnit.SECONDS)).isSameAs(built);
                }
                assertThat(builds).as("one build for eight asks").hasValue(1);
            } finally {
                pool.shutdownNow();
            }

            write(store);
            assertThatThrownBy(() -> pages.get("r", List.of(), () -> {
                throw new IllegalStateException("read failed");
            })).hasMessage("read failed");
            assertThat(pages.get("r", List.of(), () -> page(builds))).as("the failure was not kept").isNotNull();
            assertThat(builds).hasValue(2);
        }
    }

    /**
     * A build stalled (on the database, say) held everyone asking for the same page, each a worker,
     * for as long as it ran: a PostgreSQL view may run to its read_timeout, 300 s. Now a waiter is
     * refused 503 at the wait bound while the build runs on, and its page serves those asking after.
     */
    @Test
    void anAskWaitingOnAStalledBuildIsRefusedUnavailableAtTheWaitBound() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir)) {
            SharedPages pages = new SharedPages(store, System::nanoTime, TimeUnit.MILLISECONDS.toNanos(300));
            AtomicInteger builds = new AtomicInteger();
            CountDownLatch building = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<EnvelopeList> builder = heldBuild(pool, pages, builds, building, release);
                holdUntil(building);
                Future<EnvelopeList> waiter = pool.submit(() -> pages.get("r", List.of(), () -> page(builds)));
                Duration budget = new LoadScaledBudget(Duration.ofSeconds(10), Duration.ofSeconds(60)).now();
                assertThatThrownBy(() -> waiter.get(budget.toMillis(), TimeUnit.MILLISECONDS))
                        .as("the waiter is answered while the build is still stalled")
                        .isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOfSatisfying(Rejection.class, r -> {
                            assertThat(r.code()).isEqualTo(Error.Code.UNAVAILABLE);
                            assertThat(r.getMessage()).contains("ask again");
                        });
                assertThat(builder).isNotDone();
                assertThat(pages.waitedOut()).isEqualTo(1);
                assertThat(builds).as("the waiter started no build of its own").hasValue(0);

                release.countDown();
                EnvelopeList built = builder.get(30, TimeUnit.SECONDS);
                assertThat(pages.get("r", List.of(), () -> page(builds))).as("the stalled build's page, once done")
                        .isSameAs(built);
                assertThat(builds).hasValue(1);
            } finally {
                release.countDown();
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aStoreWithoutVersionsSharesNothing() {
        Store unversioned = new Store() {
            @Override
            public <T> T inTransaction(Work<T> work) {
                throw new UnsupportedOperationException();
            }

            @Override
            public void close() {
            }
        };
        SharedPages pages = new SharedPages(unversioned);
        AtomicInteger builds = new AtomicInteger();
        pages.get("r", List.of(), () -> page(builds));
        pages.get("r", List.of(), () -> page(builds));
        assertThat(builds).hasValue(2);
    }

    /** Where other processes write the store, a kept page is served until a second after its build began, not after. */
    @Test
    void aStoreOthersWriteServesAPageAtMostTheBoundAfterItsBuildBegan() throws Exception {
        try (SqliteStore sqlite = SqliteStore.open(dir)) {
            Store shared = new Store() {
                @Override
                public <T> T inTransaction(Work<T> work) {
                    return sqlite.inTransaction(work);
                }

                @Override
                public long writeVersion() {
                    return sqlite.writeVersion();
                }

                @Override
                public boolean writtenByOthers() {
                    return true;
                }

                @Override
                public void close() {
                }
            };
            AtomicLong now = new AtomicLong(1_000_000_000L);
            SharedPages pages = new SharedPages(shared, now::get);
            AtomicInteger builds = new AtomicInteger();
            EnvelopeList first = pages.get("r", List.of(), () -> {
                now.addAndGet(300_000_000L);  // a build of 300 ms
                return page(builds);
            });
            now.addAndGet(600_000_000L);  // 900 ms after the build began
            assertThat(pages.get("r", List.of(), () -> page(builds))).isSameAs(first);
            now.addAndGet(150_000_000L);  // past 1 s after
            assertThat(pages.get("r", List.of(), () -> page(builds))).isNotSameAs(first);
            assertThat(builds).hasValue(2);
        }
    }

    private static EnvelopeList page(AtomicInteger builds) {
        return EnvelopeList.newBuilder().setNext("page " + builds.incrementAndGet()).build();
    }

    /** Asks {@code pages} for route "r" from {@code pool} with a build that starts, says so and waits for {@code release}. */
    private static Future<EnvelopeList> heldBuild(ExecutorService pool, SharedPages pages, AtomicInteger builds,
            CountDownLatch building, CountDownLatch release) {
        return pool.submit(() -> pages.get("r", List.of(), () -> {
            building.countDown();
            holdUntil(release);
            return page(builds);
        }));
    }

    private static void holdUntil(CountDownLatch latch) {
        try {
            assertThat(latch.await(60, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
