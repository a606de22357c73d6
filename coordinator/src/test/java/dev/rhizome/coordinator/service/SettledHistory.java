package dev.rhizome.coordinator.service;

import static dev.rhizome.coordinator.support.Fixtures.signed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.store.PostgresStore;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.coordinator.support.TestPostgres;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToDoubleBiFunction;

/**
 * A direction's history made as the network makes it: experiments registered, each of their
 * evaluations claimed by a fresh runner and reported, every result stored and settled by the
 * coordinator's own services (so what settlement keeps, such as adoption candidates, is kept).
 */
final class SettledHistory {
    static final String DIRECTION = "d";
    static final String HARDWARE = "cpu:x86_64";

    interface Check {
        void on(Store store) throws Exception;
    }

    final MutableClock clock = new MutableClock(1_700_000_000_000L);
    final Identity operator = Identity.generate();
    final Identity proposer = Identity.generate();
    final String base = Fixtures.commit();
    final Manifest manifest;
    final Store store;
    private final ExperimentRegistry experiments;
    private final Dispatcher dispatcher;
    private final ResultIntake results;

    /** A seed with {@code manifest} published on {@code store}, and direction {@link #DIRECTION} opened on its commit. */
    SettledHistory(Store store, Manifest manifest) {
        this.store = store;
        this.manifest = manifest;
        SeedsAndDirections operators = new SeedsAndDirections(store, clock, new Operators(Set.of()));
        operators.publishSeed(signed(operator, Fixtures.seed(operator, "tiny-lm", base, manifest, clock.millis()),
                Seed.getDefaultInstance()));
        operators.openDirection(signed(operator, Fixtures.direction(operator, DIRECTION, "tiny-lm", base,
                clock.millis()), Direction.getDefaultInstance()));
        experiments = new ExperimentRegistry(store, clock);
        dispatcher = new Dispatcher(store, clock, new Leases(Duration.ofMinutes(10)), new ClaimPolicy(Duration.ZERO),
                new Dispatcher.ClaimLimits(4, 8));
        results = new ResultIntake(store, clock, () -> 0.99);
    }

    static void onStore(String kind, Path dir, Check check) throws Exception {
        if (kind.equals("sqlite")) {
            try (SqliteStore store = SqliteStore.open(dir)) {
                check.on(store);
            }
        } else {
            try (TestPostgres pg = TestPostgres.create(); PostgresStore store = PostgresStore.open(pg.address(4))) {
                check.on(store);
            }
        }
    }

    /** Registers an experiment on {@code parent} in the direction; returns its commit. */
    String experiment(String parent) {
        String commit = Fixtures.commit();
        experiments.register(signed(proposer, Fixtures.experiment(proposer, "tiny-lm", DIRECTION, commit, parent,
                clock.millis()), Experiment.getDefaultInstance()));
        return commit;
    }

    /** Runs every open evaluation, each claimed by a fresh runner, reporting {@code metric} of its commit and random seed. */
    void runOpenEvaluations(ToDoubleBiFunction<String, Long> metric) {
        for (Optional<Claimed> claimed = claim(); claimed.isPresent(); claimed = claim()) {
            report(claimed.get(), metric);
        }
    }

    /** An evaluation leased to a runner and not yet reported. */
    record Claimed(Identity runner, WorkUnit unit) {
    }

    /** The next open evaluation, leased to a fresh runner; empty when none is open. */
    Optional<Claimed> claim() {
        Identity runner = Identity.generate();
        ClaimResponse claim = dispatcher.claim(signed(runner, ClaimRequest.newBuilder()
                .setNode(runner.publicId().toByteString()).setHardwareClass(HARDWARE).setTimeMs(clock.millis())
                .setNonce(Fixtures.nonce()).addKinds(WorkUnit.Kind.EVALUATE).build(),
                ClaimRequest.getDefaultInstance()));
        return claim.hasUnit() ? Optional.of(new Claimed(runner, claim.getUnit())) : Optional.empty();
    }

    /**
     * Reports {@code metric} of the claimed unit's commit and random seed; it is stored and
     * settled. Returns the coordinator's answer.
     */
    String report(Claimed claimed, ToDoubleBiFunction<String, Long> metric) {
        WorkUnit unit = claimed.unit();
        String ack = results.accept(signed(claimed.runner(), Fixtures.result(claimed.runner(), unit,
                metric.applyAsDouble(unit.getCommit(), unit.getRandomSeed()), clock.millis()),
                Result.getDefaultInstance())).getMessage();
        assertThat(ack).contains("result recorded");
        return ack;
    }

    /** The claimed unit's runner asks to renew its lease. */
    Ack renew(Claimed claimed) {
        return dispatcher.renew(signed(claimed.runner(), LeaseRenewal.newBuilder().setWorkUnitId(claimed.unit().getId())
                .setNode(claimed.runner().publicId().toByteString()).setTimeMs(clock.millis()).build(),
                LeaseRenewal.getDefaultInstance()));
    }
}
