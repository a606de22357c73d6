package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A claim hands out nothing of a closed direction, and finds that out by looking up the closures
 * of the directions it meets only: a coordinator sharing its database with others keeps no
 * closures in memory, so a claim that read them all paid for every direction ever closed.
 */
class ClosedDirectionClaimsTest {
    private static final int CLOSED = 40;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final ClaimableWork work = new ClaimableWork(clock);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aClaimReadsNoMoreRowsWithManyDirectionsClosed(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::checkClaimCosts);
    }

    private void checkClaimCosts(Store store) {
        work.open(store);
        work.addUnits(store, "d", 8);
        Dispatcher dispatcher = dispatcher(store);
        long evaluate = claimCost(store, dispatcher, WorkUnit.Kind.EVALUATE);
        long explore = claimCost(store, dispatcher, WorkUnit.Kind.EXPLORE);

        store.inTransaction(tx -> {
            for (int i = 0; i < CLOSED; i++) {
                String name = "closed-" + i;
                Direction direction = Fixtures.direction(work.operator, name, "tiny-lm", work.seed.getCommit(),
                        clock.millis());
                tx.insertDirection(direction, Envelopes.sign(work.operator, direction), clock.millis());
                tx.closeDirection(name, "done", clock.millis());
            }
            return null;
        });
        assertThat(claimCost(store, dispatcher, WorkUnit.Kind.EVALUATE))
                .as("rows an evaluation's claim read with %d directions closed, against %d with none", CLOSED, evaluate)
                .isLessThanOrEqualTo(evaluate);
        assertThat(claimCost(store, dispatcher, WorkUnit.Kind.EXPLORE))
                .as("rows an exploration's claim read with %d directions closed, against %d with none", CLOSED, explore)
                .isLessThanOrEqualTo(explore);
    }

    /**
     * Two coordinators on one database: the closure one of them took is seen by the other's next
     * claim, which hands out neither the direction's open evaluations nor an exploration of it.
     */
    @Test
    void aClosureTakenByOneCoordinatorIsSeenByTheOthersNextClaim() throws Exception {
        try (TestPostgres pg = TestPostgres.create();
                PostgresStore first = PostgresStore.open(pg.address(2));
                PostgresStore second = PostgresStore.open(pg.address(2))) {
            work.open(first);
            work.addUnits(first, "d", 2);
            Dispatcher seconds = dispatcher(second);
            assertThat(claim(seconds, Identity.generate(), WorkUnit.Kind.EVALUATE).hasUnit())
                    .as("work before the closure").isTrue();

            first.inTransaction(tx -> tx.closeDirection("d", "budget spent", clock.millis()));

            ClaimResponse evaluation = claim(seconds, Identity.generate(), WorkUnit.Kind.EVALUATE);
            assertThat(evaluation.hasUnit()).as("no evaluation of the closed direction").isFalse();
            ClaimResponse exploration = claim(seconds, Identity.generate(), WorkUnit.Kind.EXPLORE);
            assertThat(exploration.hasUnit()).as("no exploration of the closed direction").isFalse();
            ClaimResponse named = seconds.claim(Fixtures.signedClaim(Identity.generate(), clock.millis(), "d", WorkUnit.Kind.EVALUATE));
            assertThat(named.getDirectionClosed()).isTrue();
            assertThat(named.getReason()).contains("closed").contains("budget spent");
        }
    }

    private Dispatcher dispatcher(Store store) {
        return new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)), new ClaimPolicy(Duration.ZERO),
                new Dispatcher.ClaimLimits(4, 8));
    }

    /**
     * Rows read by one claim of {@code kind} from a new key, after one claim that fills whatever
     * the store keeps (each claim leases a unit or makes an exploration).
     */
    private long claimCost(Store store, Dispatcher dispatcher, WorkUnit.Kind kind) {
        assertThat(claim(dispatcher, Identity.generate(), kind).hasUnit()).isTrue();
        long before = store.rowsRead();
        assertThat(claim(dispatcher, Identity.generate(), kind).hasUnit()).isTrue();
        return store.rowsRead() - before;
    }

    private ClaimResponse claim(Dispatcher dispatcher, Identity node, WorkUnit.Kind kind) {
        return dispatcher.claim(Fixtures.signedClaim(node, clock.millis(), "", kind));
    }

}
