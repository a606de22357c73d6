package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Claims that wait for work ({@link ClaimWaits}) on real stores: a unit that opens while a claim
 * waits is leased to it, across coordinators on one PostgreSQL too; a held claim reads nothing
 * from the store while it waits, however many wait; the bounds and the close answer them.
 */
class ClaimWaitsTest {
    /** Longer than any test waits for an answer that must come from a wake-up. */
    private static final int LONG_WAIT_S = ClaimWaits.MAX_WAIT_S;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final ClaimableWork work = new ClaimableWork(clock);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aUnitOpenedWhileAClaimWaitsIsLeasedToIt(String kind) throws Exception {
        onStore(kind, store -> {
            work.open(store);
            try (ClaimWaits waits = waits(store, 64)) {
                CompletableFuture<ClaimResponse> answer = waits.claim(signed(Identity.generate(), LONG_WAIT_S), "");
                assertThat(answer).as("nothing to lease yet: the claim is held").isNotDone();
                assertThat(waits.held()).isEqualTo(1);

                String unit = work.addUnit(store);
                // Well before the claim's wait of 20 s ends: only the wake-up could answer it so.
                await().atMost(Duration.ofSeconds(LONG_WAIT_S - 5)).until(answer::isDone);
                ClaimResponse got = answer.join();
                assertThat(got.hasUnit()).as("the unit opened while it waited").isTrue();
                assertThat(got.getUnit().getId()).isEqualTo(unit);
                assertThat(got.getWaited()).isFalse();
                assertThat(waits.held()).isZero();
            }
        });
    }

    /** The claim waits on one coordinator's store; the unit opens through another's on the same database. */
    @Test
    void aUnitOpenedThroughAnotherCoordinatorWakesAClaimHeldHere() throws Exception {
        try (TestPostgres pg = TestPostgres.create();
                PostgresStore first = PostgresStore.open(pg.address(2));
                PostgresStore second = PostgresStore.open(pg.address(2))) {
            work.open(first);
            try (ClaimWaits waits = waits(second, 64)) {
                CompletableFuture<ClaimResponse> answer = waits.claim(signed(Identity.generate(), LONG_WAIT_S), "");
                assertThat(answer).isNotDone();
                // The second store listens from its first waiter on; a unit added before it
                // listened would be found by the claim's own run, so wait until it is listening.
                String unit = addUntilLeased(first, answer);
                assertThat(answer.join().getUnit().getId()).isEqualTo(unit);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void heldClaimsReadNothingFromTheStoreWhileTheyWait(String kind) throws Exception {
        onStore(kind, store -> {
            work.open(store);
            try (ClaimWaits waits = waits(store, 64)) {
                for (int n : new int[] {1, 12}) {
                    List<CompletableFuture<ClaimResponse>> answers = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        answers.add(waits.claim(signed(Identity.generate(), 2), ""));
                    }
                    long before = store.rowsRead();
                    assertThat(waits.held()).isEqualTo(n);
                    await().atMost(Duration.ofSeconds(30)).until(() -> answers.stream().allMatch(CompletableFuture::isDone));
                    assertThat(store.rowsRead() - before).as("rows read while %d claims waited", n).isZero();
                    assertThat(answers).allSatisfy(a -> {
                        ClaimResponse r = a.join();
                        assertThat(r.hasUnit()).isFalse();
                        assertThat(r.getWaited()).as("answered at the end of its wait").isTrue();
                        assertThat(r.getReason()).contains("no open evaluation");
                    });
                }
            }
        });
    }

    @Test
    void claimsPastAnAddresssBoundAndClaimsThatDoNotWaitAreAnsweredAtOnce() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir)) {
            work.open(store);
            try (ClaimWaits waits = waits(store, 2)) {
                waits.claim(signed(Identity.generate(), LONG_WAIT_S), "81.2.69.5");
                waits.claim(signed(Identity.generate(), LONG_WAIT_S), "81.2.69.5");
                CompletableFuture<ClaimResponse> third = waits.claim(signed(Identity.generate(), LONG_WAIT_S), "81.2.69.5");
                assertThat(third).as("the address holds its most waiting claims").isDone();
                assertThat(third.join().getWaited()).isFalse();
                assertThat(third.join().getRetryAfterS()).isEqualTo(ClaimPolicy.RETRY_QUEUE_FULL_S);
                assertThat(waits.claim(signed(Identity.generate(), LONG_WAIT_S), "81.2.69.6"))
                        .as("another address's claim waits").isNotDone();
                assertThat(waits.claim(signed(Identity.generate(), 0), "81.2.69.7")).as("wait_s 0").isDone();
                assertThat(waits.held()).isEqualTo(3);
            }
        }
    }

    @Test
    void closingAnswersEveryHeldClaimAndACancelledOneIsLetGo() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir)) {
            work.open(store);
            ClaimWaits waits = waits(store, 64);
            CompletableFuture<ClaimResponse> gone = waits.claim(signed(Identity.generate(), LONG_WAIT_S), "");
            CompletableFuture<ClaimResponse> held = waits.claim(signed(Identity.generate(), LONG_WAIT_S), "");
            gone.cancel(false);  // its client went away
            assertThat(waits.held()).isEqualTo(1);
            waits.close();
            assertThat(held).isDone();
            assertThat(held.join().getWaited()).isTrue();
            assertThat(waits.held()).isZero();
            String unit = work.addUnit(store);
            assertThat(store.inTransaction(tx -> tx.unit(unit)).orElseThrow().state().name())
                    .as("nobody left holding a claim took it").isEqualTo("OPEN");
        }
    }

    /**
     * A node stopped while its claim waited here cuts the request and sends the same signed claim
     * again, to learn what became of it: the held one lets go, and the claim sent again is told its
     * nonce leased nothing. Held on, it took the next unit that opened, leased to a node that had
     * removed the claim from its journal on that answer.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aHeldClaimSentAgainLetsGoAndIsToldItsNonceLeasedNothing(String kind) throws Exception {
        onStore(kind, store -> {
            work.open(store);
            try (ClaimWaits waits = waits(store, 64)) {
                Verified<ClaimRequest> cut = signed(Identity.generate(), LONG_WAIT_S);
                assertThat(waits.claim(cut, "")).as("nothing to lease yet: held").isNotDone();
                assertThatThrownBy(() -> waits.claim(cut, "")).as("the same claim sent again")
                        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.code()).isEqualTo(Error.Code.CONFLICT))
                        .hasMessageContaining("nonce was already used");
                assertThat(waits.held()).as("held after it was sent again").isZero();

                // the next unit goes to a claim still waiting, not to the one let go (the longest waiting)
                CompletableFuture<ClaimResponse> other = waits.claim(signed(Identity.generate(), LONG_WAIT_S), "");
                String unit = work.addUnit(store);
                await().atMost(Duration.ofSeconds(LONG_WAIT_S - 5)).until(other::isDone);
                assertThat(other.join().getUnit().getId()).isEqualTo(unit);
            }
        });
    }

    /**
     * A held claim whose client shut its side (a FIN) is answered now, "nothing came", where it
     * was held to its wait's end; one whose end comes while a wake-up runs it (the test ends it
     * from inside that run, before the run asks whether it is still wanted) leases nothing and is
     * answered "nothing came": without that question, the run leased the unit and answered it to
     * a client that had said it was done waiting.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aHeldClaimEndedByItsClientIsAnsweredNowAndLeasesNothingWhileARunIsUnderWay(String kind) throws Exception {
        onStore(kind, store -> {
            work.open(store);
            try (ClaimWaits waits = waits(store, 64)) {
                CompletableFuture<ClaimResponse> ended = waits.claim(signed(Identity.generate(), LONG_WAIT_S), "");
                assertThat(ended).isNotDone();
                waits.endWait(ended);
                assertThat(ended).as("answered at once, not at its wait's end").isDone();
                assertThat(ended.join().getWaited()).isTrue();
                assertThat(waits.held()).isZero();

                Identity node = Identity.generate();
                CompletableFuture<ClaimResponse> raced = waits.claim(signed(node, LONG_WAIT_S), "");
                waits.hooks(new ClaimWaits.RunHooks(waits::endWait, a -> { }));  // the FIN lands as the run starts
                String unit = work.addUnit(store);  // wakes the held claim, on the waker's thread
                await().atMost(Duration.ofSeconds(LONG_WAIT_S - 5)).until(raced::isDone);
                assertThat(raced.join().hasUnit()).as("the claim its client ended leases nothing").isFalse();
                assertThat(raced.join().getWaited()).isTrue();
                await().atMost(Duration.ofSeconds(30)).until(() -> waits.held() == 0);
                assertThat(everLeased(store, unit, node))
                        .as("never leased to the client that left").isFalse();
                assertThat(state(store, unit)).isEqualTo("OPEN");
            }
        });
    }

    /**
     * A held claim whose client resets its connection while a wake-up runs it: before the run
     * asks whether it is still wanted, nothing is leased; after it asked (inside the run's
     * transaction, before the commit), the lease it took is given back once the run is over, where
     * it stayed leased to nobody until its deadline. Either way the unit is open for the next
     * claim, and the claim's nonce stays spent (the same claim sent again is told so).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aHeldClaimWhoseClientLeavesDuringItsRunLeavesNoLeaseBehind(String kind) throws Exception {
        onStore(kind, store -> {
            work.open(store);
            try (ClaimWaits waits = waits(store, 64)) {
                for (boolean afterTheQuestion : new boolean[] {false, true}) {
                    Identity node = Identity.generate();
                    Verified<ClaimRequest> claim = signed(node, LONG_WAIT_S);
                    CompletableFuture<ClaimResponse> gone = waits.claim(claim, "");
                    assertThat(gone).isNotDone();
                    java.util.function.Consumer<CompletableFuture<ClaimResponse>> reset = a -> a.cancel(false);
                    waits.hooks(afterTheQuestion ? new ClaimWaits.RunHooks(a -> { }, reset)
                            : new ClaimWaits.RunHooks(reset, a -> { }));
                    String unit = work.addUnit(store);
                    await().atMost(Duration.ofSeconds(LONG_WAIT_S - 5)).until(() -> waits.held() == 0);
                    waits.hooks(ClaimWaits.RunHooks.NONE);
                    assertThat(gone).isCancelled();
                    // after the question the lease was taken and given back: forgotten, as never made
                    assertThat(everLeased(store, unit, node))
                            .as("leased to the client that left (after the question: %s)", afterTheQuestion)
                            .isFalse();
                    assertThat(state(store, unit)).as("after the question: %s", afterTheQuestion).isEqualTo("OPEN");
                    assertThatThrownBy(() -> waits.claim(claim, "")).as("the same claim sent again")
                            .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.code()).isEqualTo(Error.Code.CONFLICT));

                    CompletableFuture<ClaimResponse> next = waits.claim(signed(Identity.generate(), 0), "");
                    assertThat(next.join().getUnit().getId()).as("the next claim gets it").isEqualTo(unit);
                }
            }
        });
    }

    private static boolean everLeased(Store store, String unit, Identity node) {
        return store.inTransaction(tx -> tx.everLeasedTo(unit, node.publicId().toByteString()));
    }

    private static String state(Store store, String unit) {
        return store.inTransaction(tx -> tx.unit(unit)).orElseThrow().state().name();
    }

    private void onStore(String kind, Consumer<Store> test) throws Exception {
        BoardHistory.onStore(kind, dir, test);
    }

    /** Adds a unit through {@code store} until the held claim has it (once the waiting side listens). */
    private String addUntilLeased(Store store, CompletableFuture<ClaimResponse> answer) {
        List<String> added = new ArrayList<>();
        await().atMost(Duration.ofSeconds(LONG_WAIT_S - 5)).until(() -> {
            if (!answer.isDone()) {
                added.add(work.addUnit(store));
            }
            return answer.isDone();
        });
        ClaimResponse got = answer.join();
        assertThat(got.hasUnit()).as("leased before its wait ended").isTrue();
        assertThat(added).contains(got.getUnit().getId());
        return got.getUnit().getId();
    }

    private ClaimWaits waits(Store store, int perAddress) {
        Dispatcher dispatcher = new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)),
                new ClaimPolicy(Duration.ZERO), new Dispatcher.ClaimLimits(4, 8));
        return new ClaimWaits(dispatcher, store, clock, new ClaimWaits.Limits(perAddress, 4 * perAddress, 1024));
    }

    private Verified<ClaimRequest> signed(Identity node, int waitS) {
        return Fixtures.signedClaim(node, clock.millis(), "", WorkUnit.Kind.EVALUATE, waitS);
    }
}
