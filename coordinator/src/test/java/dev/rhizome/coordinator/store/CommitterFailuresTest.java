package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite committer is one thread that every write waits on: whatever fails after a group's
 * commit (a step that puts what was written into the kept reads, the commit listener that feeds
 * the metrics) must neither end that thread nor leave a caller unanswered. Each failure here is
 * injected through the store's own seams (the listener it is opened with, a transaction's
 * after-commit steps), on a real database; a caller that would wait for good fails the test at
 * its bound instead.
 */
class CommitterFailuresTest {
    private static final long BOUND_S = 30;  // a hang, not a speed: the calls take milliseconds
    private final Identity operator = Identity.generate();

    @TempDir
    Path dataDir;

    @Test
    void aCommitListenerThatThrowsLosesNoWriteAndStopsNoLaterOne() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (SqliteStore store = SqliteStore.open(dataDir, (n, nanos) -> {
            calls.incrementAndGet();
            throw new IllegalStateException("injected: the metrics listener fails");
        })) {
            insert(store, "first");
            insert(store, "second");
            assertThat(calls).hasValueGreaterThanOrEqualTo(2);
            assertThat(names(store)).containsExactly("first", "second");
            assertThat(store.trouble()).isEmpty();
        }
    }

    @Test
    void anAfterCommitStepThatThrowsKeepsTheCommitAndTheCommitterGoesOn() throws Exception {
        try (SqliteStore store = SqliteStore.open(dataDir)) {
            Seed seed = seed("first");
            Object answer = within(() -> store.inTransaction(tx -> {
                tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
                ((SqliteTransaction) tx).afterCommit().add(() -> {
                    throw new AssertionError("injected: an after-commit step fails with an Error");
                });
                return "stored";
            }));
            assertThat(answer).as("the commit stands, so its caller is told so").isEqualTo("stored");
            insert(store, "second");
            assertThat(names(store)).containsExactly("first", "second");
        }
        try (SqliteStore reopened = SqliteStore.open(dataDir)) {
            assertThat(names(reopened)).as("on disk, not only in memory").containsExactly("first", "second");
        }
    }

    @Test
    void aTransactionThatThrowsAnErrorIsRefusedAloneAndTheNextOneCommits() throws Exception {
        try (SqliteStore store = SqliteStore.open(dataDir)) {
            CompletableFuture<Object> failing = CompletableFuture.supplyAsync(() -> store.inTransaction(tx -> {
                Seed seed = seed("never");
                tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
                throw new StackOverflowError("injected");
            }));
            assertThat(failing).failsWithin(BOUND_S, TimeUnit.SECONDS);
            insert(store, "after");
            assertThat(names(store)).containsExactly("after");
        }
    }

    private void insert(Store store, String name) throws Exception {
        Seed seed = seed(name);
        within(() -> store.inTransaction(tx -> {
            tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
            return null;
        }));
    }

    private Seed seed(String name) {
        return Fixtures.seed(operator, name, Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
    }

    private static List<String> names(Store store) throws Exception {
        return within(() -> store.inReadTransaction(tx -> tx.seeds().stream().map(s -> s.record().getName()).toList()));
    }

    private static <T> T within(Supplier<T> call) throws Exception {
        return CompletableFuture.supplyAsync(call).get(BOUND_S, TimeUnit.SECONDS);
    }
}
