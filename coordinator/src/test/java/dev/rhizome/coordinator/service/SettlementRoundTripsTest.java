package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a store shared by several coordinators every statement of a result is a round trip to the
 * database, and one direction's results settle one after the other, so a result's statements
 * bound that direction's result rate (docs/performance.md). A settling result read its unit
 * three times, its commit's experiment four, the directions on its commit four, and took the
 * writers' lock shared in a round trip of its own; now what it read under its locks is read once
 * and the shared lock goes with the others, and the set it names its locks from is read in one
 * statement before them; since round 29 the reads under the locks are sent with the locks' statement,
 * and the resend check's read with the set's, each group one round trip. Reads sent together count
 * as one (a round trip). This holds the reads and the statements of a result on PostgreSQL, and
 * the statements of a claim, to what they are now, counted by the store itself (the commit apart,
 * and every statement before it counted, the store's own question whether the transaction wrote
 * included).
 */
class SettlementRoundTripsTest {
    /**
     * A result's read statements on PostgreSQL (the locks' and its inserts' RETURNING included, and
     * the question whether it wrote, asked before its commit until round 28 and counted since): 27
     * before round 26, 21 before its lock set was read in one statement, 20 with that question, 19
     * before round 29 sent the reads under the locks with them, and the resend check's with the set.
     * 14 in round 33: the class the runner's lease was claimed with, which binds the result's
     * (ResultIntake, unit_leases.hardware_class), one indexed look-up; 13 again since round 34,
     * that look-up sent with the locks' statement.
     */
    private static final int MAX_READS = 13;
    /**
     * A result's statements, reads and writes (its commit apart): 29 for the first replica before
     * the lock set's one statement, 28 before round 28 with the question whether it wrote, 27
     * before round 29 (23 for the result completing the trial, 17 since), 21 before round 30 sent
     * each write whose count nobody needs at once with the statement after it (17 for the result
     * completing the trial). Since round 31 a result alone in its settling group takes no
     * savepoint (a savepoint would be one more), as here. 14 in round 33 (the lease's class), 13
     * again since round 34 (that read sent with the locks).
     */
    private static final int MAX_RESULT_STATEMENTS = 13;
    /**
     * What the one result that first measures a direction's base reads more (round 34): the
     * classes of the nodes of standing seen lately, which decide the class the direction compares
     * in (Store.classesWithStandingSeen), one grouped read.
     */
    private static final int BASE_MEASURED = 1;
    /**
     * A claim's statements, reads and writes (its commit apart), as the bench's claims run them:
     * 13 in round 27 (the question whether it wrote; the seed commitment of its unit, read though
     * its seed draws no confirmation seeds and so can have none); 11 before round 30 sent the key
     * locks with the next statement, the lease's writes with the read after them, and read the
     * unit's random seed with the page; 7 before round 31 read the page's reservations in one
     * statement with the closures of its directions (one round trip where there were two); 6
     * before round 32 kept each unit's latest reservation deadline on its row (migration 33), so
     * a page whose locked units show none lasting reads no reservations, and its directions'
     * closures come with its units. 6 since round 35: the starved give-backs of the page's units
     * (StarvedGiveBacks: whether a claim with no core to spare is offered them, and whether the
     * lease says charge_if_starved), one read of a partial index holding starved leases alone.
     */
    private static final int MAX_CLAIM_STATEMENTS = 6;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final Identity operator = Identity.generate();
    private final Identity proposer = Identity.generate();
    private final String seedCommit = Fixtures.commit();

    @Test
    void aResultOnASharedStoreReadsWhatItHoldsLockedOnce() throws Exception {
        BoardHistory.onStore("postgresql", dir, this::checkReads);
    }

    private void checkReads(Store store) {
        SeedsAndDirections operators = new SeedsAndDirections(store, clock, new Operators(Set.of()));
        operators.publishSeed(signed(operator, Fixtures.seed(operator, "tiny-lm", seedCommit, Fixtures.manifest(2, 0.01),
                clock.millis()), Seed.getDefaultInstance()));
        operators.openDirection(signed(operator, Fixtures.direction(operator, "d", "tiny-lm", seedCommit, clock.millis()),
                Direction.getDefaultInstance()));
        ExperimentRegistry experiments = new ExperimentRegistry(store, clock);
        Dispatcher dispatcher = new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)),
                new ClaimPolicy(Duration.ZERO), new Dispatcher.ClaimLimits(4, 8));
        ResultIntake results = new ResultIntake(store, clock, () -> 0.99);
        reads(store, dispatcher, results);  // the base's first replica
        experiments.register(signed(proposer, Fixtures.experiment(proposer, "tiny-lm", "d", Fixtures.commit(), seedCommit,
                clock.millis()), Experiment.getDefaultInstance()));
        Counted first = cycle(store, dispatcher, results);
        Counted second = cycle(store, dispatcher, results);
        // The first cycle takes the base's second replica (its units come first), which decides the
        // base's trial and so measures the base and fixes the class its direction compares in:
        // that result, once per direction, also reads the classes of the nodes of standing seen
        // lately (round 34, core.ComparisonClasses). The second is the experiment's first replica.
        assertThat(first.resultReads()).as("reads of the result that measures the base")
                .isLessThanOrEqualTo(MAX_READS + BASE_MEASURED);
        assertThat(second.resultReads()).as("reads of an experiment's first replica's result").isLessThanOrEqualTo(MAX_READS);
        assertThat(first.result()).as("statements of the result that measures the base")
                .isLessThanOrEqualTo(MAX_RESULT_STATEMENTS + BASE_MEASURED);
        assertThat(second.result()).as("statements of an experiment's first replica's result")
                .isLessThanOrEqualTo(MAX_RESULT_STATEMENTS);
        assertThat(first.claim()).as("statements of a claim").isLessThanOrEqualTo(MAX_CLAIM_STATEMENTS);
        assertThat(second.claim()).as("statements of a claim").isLessThanOrEqualTo(MAX_CLAIM_STATEMENTS);
    }

    /** Statements of one claim and of its result (all, and the result's reads), as the store counts them. */
    record Counted(long claim, long resultReads, long result) {
    }

    /** Read statements run by storing and settling the result of the next unit a fresh runner claims. */
    private long reads(Store store, Dispatcher dispatcher, ResultIntake results) {
        return cycle(store, dispatcher, results).resultReads();
    }

    private Counted cycle(Store store, Dispatcher dispatcher, ResultIntake results) {
        Identity runner = Identity.generate();
        long beforeClaim = store.statementsRun();
        ClaimResponse claim = dispatcher.claim(signed(runner, ClaimRequest.newBuilder()
                .setNode(runner.publicId().toByteString()).setHardwareClass("cpu:x86_64").setTimeMs(clock.millis())
                .setNonce(Fixtures.nonce()).addKinds(WorkUnit.Kind.EVALUATE).build(), ClaimRequest.getDefaultInstance()));
        assertThat(claim.hasUnit()).isTrue();
        long claimed = store.statementsRun() - beforeClaim;
        long before = store.queriesRun();
        long beforeResult = store.statementsRun();
        String ack = results.accept(signed(runner, Fixtures.result(runner, claim.getUnit(), 3.2, clock.millis()),
                Result.getDefaultInstance())).getMessage();
        assertThat(ack).contains("result recorded");
        return new Counted(claimed, store.queriesRun() - before, store.statementsRun() - beforeResult);
    }

    private static <T extends com.google.protobuf.Message> Verified<T> signed(Identity signer, T record, T prototype) {
        try {
            return Envelopes.open(Envelopes.sign(signer, record), prototype);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
