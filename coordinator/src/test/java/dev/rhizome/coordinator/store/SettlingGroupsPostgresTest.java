package dev.rhizome.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Settling results on PostgreSQL share one transaction, and so one commit, with the results that
 * waited for the group before them (SettlingGroups): each is answered only after that commit, and
 * one that fails, by its own throw or by the database's refusal of a statement, is rolled back
 * alone while the others of its group are stored and acknowledged.
 */
class SettlingGroupsPostgresTest {
    private static final long NOW = 1_700_000_000_000L;

    @Test
    void aGroupCommitsItsGoodResultsTogetherAndRefusesOnlyItsBadOnes() throws Exception {
        try (TestPostgres pg = TestPostgres.create()) {
            ByteString blocker = key();
            List<ByteString> good = List.of(key(), key(), key());
            ByteString thrower = key();
            ByteString refused = key();
            Identity publisher = Identity.generate();
            Seed seed = Fixtures.seed(publisher, "tiny-lm", Fixtures.commit(), Fixtures.manifest(2, 0.01), NOW);
            ExecutorService callers = Executors.newFixedThreadPool(6);
            try (PostgresStore store = PostgresStore.open(pg.address(4))) {
                CountDownLatch inside = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                // The first group holds one result open, so that the others queue behind it and form the next group.
                Future<String> first = callers.submit(() -> store.inSettlingTransaction(tx -> {
                    settle(tx, blocker);
                    inside.countDown();
                    awaitQuietly(release);
                    return "first";
                }));
                assertThat(inside.await(60, TimeUnit.SECONDS)).isTrue();
                List<Future<String>> goods = new ArrayList<>();
                for (ByteString runner : good) {
                    goods.add(callers.submit(() -> store.inSettlingTransaction(tx -> {
                        settle(tx, runner);
                        return "stored " + runner.size();
                    })));
                }
                Future<String> throwing = callers.submit(() -> store.inSettlingTransaction(tx -> {
                    settle(tx, thrower);
                    throw new IllegalStateException("this result is refused after its writes");
                }));
                Future<String> duplicate = callers.submit(() -> store.inSettlingTransaction(tx -> {
                    settle(tx, refused);
                    // the seed's name is its key: the second insert is refused by the database itself
                    tx.insertSeed(seed, Envelopes.sign(publisher, seed), NOW);
                    tx.insertSeed(seed, Envelopes.sign(publisher, seed), NOW);
                    return "not reached";
                }));
                await().atMost(Duration.ofSeconds(60)).until(() -> store.settlingWaiting() == 5);
                assertThat(first.isDone()).as("the first group is not answered before its commit").isFalse();
                release.countDown();

                assertThat(first.get(60, TimeUnit.SECONDS)).isEqualTo("first");
                for (Future<String> f : goods) {
                    assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo("stored 32");
                }
                assertThatThrownBy(() -> throwing.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("refused after its writes");
                assertThatThrownBy(() -> duplicate.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(StoreException.class);
            } finally {
                callers.shutdownNow();
            }

            // What was acknowledged is there for a store opened afresh; what was refused is not, not even in part.
            try (PostgresStore reopened = PostgresStore.open(pg.address(2))) {
                for (ByteString runner : good) {
                    assertThat(stored(reopened, runner)).as("an acknowledged result's write").isPresent();
                }
                assertThat(stored(reopened, blocker)).isPresent();
                assertThat(stored(reopened, thrower)).as("the write of a result that threw").isEmpty();
                assertThat(stored(reopened, refused)).as("the write of a result the database refused").isEmpty();
                Optional<Stored<Seed>> seedStored = reopened.inReadTransaction(tx -> tx.seed("tiny-lm"));
                assertThat(seedStored).as("the seed of the result the database refused").isEmpty();
            }
        }
    }

    /** What a result's settlement does first: its locks, then a write under them. */
    private static void settle(Store.Transaction tx, ByteString runner) {
        tx.lockForSettlement(List.of("d"), "c", List.of(runner));
        tx.saveReputation(runner, Reputation.fresh());
    }

    private static Optional<Reputation> stored(PostgresStore store, ByteString runner) {
        return store.inReadTransaction(tx -> tx.reputation(runner));
    }

    private static ByteString key() {
        return Identity.generate().publicId().toByteString();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            if (!latch.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the first group");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
