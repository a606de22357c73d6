package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite store forces its log off the committer: what a caller relies on is that no answer,
 * and no view, comes before the log holding it is on disk, and that a force that fails stops the
 * store rather than answer on data a crash may lose. The real log is forced; the tests only hold
 * or fail that force.
 */
class SqliteLogSyncTest {
    @TempDir
    Path dataDir;

    private final Identity operator = Identity.generate();
    /** Threads of their own: the callers below block, which a shared pool must not be made to absorb. */
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    @Test
    void noCallerAndNoViewIsAnsweredBeforeTheLogIsForcedWhileTheCommitterRunsOn() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean hold = new AtomicBoolean();
        try (SqliteStore store = SqliteStore.open(dataDir, (n, nanos) -> { }, force -> () -> {
            if (hold.get()) {
                held.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IOException("interrupted while held", e);
                }
            }
            force.force();
        })) {
            hold.set(true);
            CompletableFuture<Void> first = CompletableFuture.runAsync(() -> insertSeed(store, "first"), pool);
            assertThat(held.await(30, TimeUnit.SECONDS)).as("the first commit's force began").isTrue();

            CountDownLatch secondRan = new CountDownLatch(1);
            CompletableFuture<Void> second = CompletableFuture.runAsync(() -> store.inTransaction(tx -> {
                secondRan.countDown();
                tx.insertSeed(seed("second"), Envelopes.sign(operator, seed("second")), 2);
                return null;
            }), pool);
            assertThat(secondRan.await(30, TimeUnit.SECONDS)).as("the committer runs the next transaction during the force")
                    .isTrue();
            Thread[] reader = new Thread[1];
            CompletableFuture<List<String>> view = CompletableFuture.supplyAsync(() -> {
                reader[0] = Thread.currentThread();
                return names(store);
            }, pool);
            // the view has read "first", committed but not yet on disk, and must wait for the force
            await().atMost(Duration.ofSeconds(30)).until(() -> reader[0] != null
                    && reader[0].getState() == Thread.State.WAITING);
            assertThat(first).isNotDone();
            assertThat(second).isNotDone();
            assertThat(view).isNotDone();

            release.countDown();
            first.get(30, TimeUnit.SECONDS);
            second.get(30, TimeUnit.SECONDS);
            assertThat(view.get(30, TimeUnit.SECONDS)).contains("first");
        }
        try (SqliteStore again = SqliteStore.open(dataDir)) {
            assertThat(names(again))
                    .containsExactlyInAnyOrder("first", "second");
        }
    }

    @Test
    void aFailedForceFailsItsCallersAndEveryLaterOneUntilTheStoreIsReopened() throws Exception {
        AtomicBoolean fail = new AtomicBoolean();
        try (SqliteStore store = SqliteStore.open(dataDir, (n, nanos) -> { }, force -> () -> {
            if (fail.get()) {
                throw new IOException("Input/output error");
            }
            force.force();
        })) {
            insertSeed(store, "before");
            fail.set(true);
            assertThatThrownBy(() -> insertSeed(store, "lost"))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("could not be forced to disk (Input/output error)")
                    .hasMessageContaining("restart the coordinator");
            fail.set(false);
            // the log's state on disk is unknown now: nothing more is answered, views included
            assertThatThrownBy(() -> insertSeed(store, "after")).isInstanceOf(StoreException.class)
                    .hasMessageContaining("restart the coordinator");
            assertThatThrownBy(() -> store.inReadTransaction(tx -> tx.seeds())).isInstanceOf(StoreException.class)
                    .hasMessageContaining("restart the coordinator");
        }
        try (SqliteStore again = SqliteStore.open(dataDir)) {
            insertSeed(again, "after");
            assertThat(names(again))
                    .contains("before", "after");
        }
    }

    @Test
    void groupsThatWroteNothingAreNotForced() throws Exception {
        AtomicInteger forces = new AtomicInteger();
        try (SqliteStore store = SqliteStore.open(dataDir, (n, nanos) -> { }, force -> () -> {
            forces.incrementAndGet();
            force.force();
        })) {
            insertSeed(store, "one");
            int after = forces.get();
            assertThat(after).isPositive();
            for (int i = 0; i < 20; i++) {
                assertThat(store.inTransaction((Store.Transaction tx) -> tx.seeds())).hasSize(1);
            }
            assertThat(forces.get()).as("read-only groups force nothing").isEqualTo(after);
            insertSeed(store, "two");
            assertThat(forces.get()).isGreaterThan(after);
        }
    }

    private static List<String> names(Store store) {
        return store.inReadTransaction((Store.Transaction tx) -> tx.seeds().stream().map(s -> s.record().getName()).toList());
    }

    private Seed seed(String name) {
        return Fixtures.seed(operator, name, Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
    }

    private void insertSeed(Store store, String name) {
        Seed seed = seed(name);
        store.inTransaction(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            return null;
        });
    }
}
