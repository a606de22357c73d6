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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A result finds the directions it may move (their frontier on its commit) by a look-up of the
 * directions standing on the commit, not by reading every direction: on a store shared by several
 * coordinators, which keeps nothing between transactions, a result read every direction four
 * times (twice to name its locks, twice to settle), so its cost grew with the directions opened.
 */
class SettlementReadsTest {
    private static final int OTHERS = 40;

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final Identity operator = Identity.generate();
    private final Identity proposer = Identity.generate();
    private final String seedCommit = Fixtures.commit();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aResultReadsNoMoreRowsWithManyDirectionsOnOtherCommits(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::checkResultCosts);
    }

    private void checkResultCosts(Store store) {
        SeedsAndDirections operators = new SeedsAndDirections(store, clock, new Operators(Set.of()));
        operators.publishSeed(signed(operator, Fixtures.seed(operator, "tiny-lm", seedCommit, Fixtures.manifest(1, 0.01),
                clock.millis()), Seed.getDefaultInstance()));
        operators.openDirection(signed(operator, Fixtures.direction(operator, "d", "tiny-lm", seedCommit, clock.millis()),
                Direction.getDefaultInstance()));
        ExperimentRegistry experiments = new ExperimentRegistry(store, clock);
        Dispatcher dispatcher = new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)),
                new ClaimPolicy(Duration.ZERO), new Dispatcher.ClaimLimits(4, 8));
        ResultIntake results = new ResultIntake(store, clock, () -> 0.99);
        resultCost(store, dispatcher, results);  // the base's measurement: the frontier is measured from here on
        long alone = resultCost(store, experiments, dispatcher, results);

        store.inTransaction(tx -> {
            for (int i = 0; i < OTHERS; i++) {
                // as operators open them: on the seed's commit, which no result below is on
                Direction other = Fixtures.direction(operator, "other-" + i, "tiny-lm", seedCommit, clock.millis());
                tx.insertDirection(other, Envelopes.sign(operator, other), clock.millis());
            }
            return null;
        });
        resultCost(store, experiments, dispatcher, results);  // whatever the store keeps is filled again
        assertThat(resultCost(store, experiments, dispatcher, results))
                .as("rows a result read with %d more directions on another commit, against %d with none", OTHERS, alone)
                .isLessThanOrEqualTo(alone);
    }

    /** Rows read by storing and settling the result of a new experiment's evaluation. */
    private long resultCost(Store store, ExperimentRegistry experiments, Dispatcher dispatcher, ResultIntake results) {
        experiments.register(signed(proposer, Fixtures.experiment(proposer, "tiny-lm", "d", Fixtures.commit(), seedCommit,
                clock.millis()), Experiment.getDefaultInstance()));
        return resultCost(store, dispatcher, results);
    }

    private long resultCost(Store store, Dispatcher dispatcher, ResultIntake results) {
        Identity runner = Identity.generate();
        ClaimResponse claim = dispatcher.claim(signed(runner, ClaimRequest.newBuilder()
                .setNode(runner.publicId().toByteString()).setHardwareClass("cpu:x86_64").setTimeMs(clock.millis())
                .setNonce(Fixtures.nonce()).addKinds(WorkUnit.Kind.EVALUATE).build(), ClaimRequest.getDefaultInstance()));
        assertThat(claim.hasUnit()).isTrue();
        long before = store.rowsRead();
        String ack = results.accept(signed(runner, Fixtures.result(runner, claim.getUnit(), 3.2, clock.millis()),
                Result.getDefaultInstance())).getMessage();
        assertThat(ack).contains("result recorded");
        return store.rowsRead() - before;
    }

    private static <T extends com.google.protobuf.Message> Verified<T> signed(Identity signer, T record, T prototype) {
        try {
            return Envelopes.open(Envelopes.sign(signer, record), prototype);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
