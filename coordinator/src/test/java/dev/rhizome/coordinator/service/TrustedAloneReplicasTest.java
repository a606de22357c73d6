package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A trial accepted on one trusted runner's word withdraws its other replicas, the leased ones too:
 * one left LEASED came back OPEN at its lease's expiry and ran for a trial already decided. On
 * both stores, through the coordinator's services.
 */
class TrustedAloneReplicasTest {
    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final Identity operator = Identity.generate();
    private final Identity proposer = Identity.generate();
    private final Identity veteran = Identity.generate();
    private final Identity checker = Identity.generate();
    private final String seedCommit = Fixtures.commit();
    private double draw;

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aLeasedReplicaOfATrialAcceptedAloneIsWithdrawnAndDoesNotComeBackAtExpiry(String kind) throws Exception {
        if (kind.equals("sqlite")) {
            try (SqliteStore store = SqliteStore.open(dir)) {
                run(store);
            }
        } else {
            try (TestPostgres pg = TestPostgres.create(); PostgresStore store = PostgresStore.open(pg.address(4))) {
                run(store);
            }
        }
    }

    private void run(Store store) {
        ExperimentRegistry experiments = new ExperimentRegistry(store, clock);
        Dispatcher dispatcher = new Dispatcher(store, clock, new Leases(Duration.ZERO),
                new ClaimPolicy(Duration.ofSeconds(30)), new Dispatcher.ClaimLimits(4, 8));
        ResultIntake results = new ResultIntake(store, clock, () -> draw);
        Views views = new Views(store, () -> 0);
        SeedsAndDirections operators = new SeedsAndDirections(store, clock, new Operators(Set.of()));
        operators.publishSeed(signed(operator, Fixtures.seed(operator, "tiny-lm", seedCommit,
                Fixtures.manifest(2, 0.01, 1), clock.millis()), Seed.getDefaultInstance()));
        operators.openDirection(signed(operator, Fixtures.direction(operator, "d", "tiny-lm", seedCommit, clock.millis()),
                Direction.getDefaultInstance()));
        report(results, veteran, claim(dispatcher, veteran), 3.2);
        report(results, checker, claim(dispatcher, checker), 3.2);
        for (int i = 0; i < Reputation.TRUST_AFTER; i++) {
            propose(experiments);
            report(results, veteran, claim(dispatcher, veteran), 3.3);
            report(results, checker, claim(dispatcher, checker), 3.3);
        }

        draw = 0.99;  // no spot check
        propose(experiments);
        WorkUnit held = claim(dispatcher, checker);  // the replica, leased before the veteran reports
        assertThat(report(results, veteran, claim(dispatcher, veteran), 3.25)).contains("accepted on the runner's reputation");
        UnitStatus withdrawn = unit(views, held.getId());
        assertThat(withdrawn.getState()).as("the leased replica is withdrawn").isEqualTo(UnitStatus.State.DONE);

        clock.advance(Duration.ofHours(2));  // past any lease
        dispatcher.sweep();
        assertThat(unit(views, held.getId()).getState()).as("it does not come back at its lease's expiry")
                .isEqualTo(UnitStatus.State.DONE);
        assertThat(views.units(Optional.of(UnitStatus.State.OPEN), PageRequest.first(1000)).getUnitsList())
                .as("nothing of the decided trial is open to run").noneMatch(u -> u.getUnit().getCommit().equals(held.getCommit()));
        // its holder's result, when it comes, is kept, counting for nothing
        assertThat(report(results, checker, held, 3.25)).contains("TOO_LATE");
        assertThat(views.trials("", held.getCommit(), PageRequest.first(1)).getTrials(0).getState())
                .isEqualTo(ResultVerdict.State.VALID);
    }

    private void propose(ExperimentRegistry experiments) {
        experiments.register(signed(proposer, Fixtures.experiment(proposer, "tiny-lm", "d", Fixtures.commit(), seedCommit,
                clock.millis()), Experiment.getDefaultInstance()));
    }

    private WorkUnit claim(Dispatcher dispatcher, Identity node) {
        var response = dispatcher.claim(signed(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(clock.millis()).setNonce(Fixtures.nonce()).build(),
                ClaimRequest.getDefaultInstance()));
        assertThat(response.hasUnit()).as("work for %s", node.publicId().shortForm()).isTrue();
        return response.getUnit();
    }

    private String report(ResultIntake results, Identity runner, WorkUnit unit, double metric) {
        return results.accept(signed(runner, Fixtures.result(runner, unit, metric, clock.millis()),
                Result.getDefaultInstance())).getMessage();
    }

    private static UnitStatus unit(Views views, String id) {
        return views.units(Optional.empty(), PageRequest.first(1000)).getUnitsList().stream()
                .filter(u -> u.getUnit().getId().equals(id)).findFirst().orElseThrow();
    }

    private static <T extends Message> Verified<T> signed(Identity signer, T record, T prototype) {
        try {
            return Envelopes.open(Envelopes.sign(signer, record), prototype);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
