package dev.rhizome.coordinator.service;

import static dev.rhizome.coordinator.support.Fixtures.signed;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import java.util.Set;

/**
 * The coordinator's services over one store as a runner earns and loses trust: a seed of quorum
 * two published, direction "d" opened on it, a {@link #veteran} and a {@link #checker} that have
 * each run its baseline, and the spot-check draw in the test's hand. Leases end at once and a
 * proposer has its experiment to itself for 30 s, so each replica goes to whoever claims next.
 */
final class TrustServices {
    final MutableClock clock = new MutableClock(1_700_000_000_000L);
    final Identity operator = Identity.generate();
    final Identity proposer = Identity.generate();
    final Identity veteran = Identity.generate();
    final Identity checker = Identity.generate();
    final String seedCommit = Fixtures.commit();
    final Store store;
    final ExperimentRegistry experiments;
    final Dispatcher dispatcher;
    final ResultIntake results;
    final Views views;
    /** What the coordinator's spot-check draw returns: below the rate, a trusted result is checked. */
    double draw;

    TrustServices(Store store) {
        this(store, 1);
    }

    /** The same with the seed's {@code adoptionSeeds} (above 1: as many confirmation seeds). */
    TrustServices(Store store, int adoptionSeeds) {
        this.store = store;
        experiments = new ExperimentRegistry(store, clock);
        dispatcher = new Dispatcher(store, clock, new Leases(Duration.ZERO), new ClaimPolicy(Duration.ofSeconds(30)),
                new Dispatcher.ClaimLimits(4, 8));
        results = new ResultIntake(store, clock, () -> draw);
        views = new Views(store, () -> 0);
        SeedsAndDirections operators = new SeedsAndDirections(store, clock, new Operators(Set.of()));
        operators.publishSeed(signed(operator, Fixtures.seed(operator, "tiny-lm", seedCommit,
                Fixtures.manifest(2, 0.01, adoptionSeeds), clock.millis()), Seed.getDefaultInstance()));
        operators.openDirection(signed(operator, Fixtures.direction(operator, "d", "tiny-lm", seedCommit, clock.millis()),
                Direction.getDefaultInstance()));
        report(veteran, claim(veteran), 3.2);
        report(checker, claim(checker), 3.2);
    }

    /** {@code rounds} experiments, each run by the veteran and the checker to the same metric. */
    void agreeOn(int rounds) {
        for (int i = 0; i < rounds; i++) {
            propose();
            report(veteran, claim(veteran), 3.3);
            report(checker, claim(checker), 3.3);
        }
    }

    /** Registers the proposer's experiment on the seed's commit; returns its commit. */
    String propose() {
        return propose("");
    }

    /** The same, registered from {@code origin} (an address scope; "" for none, as loopback). */
    String propose(String origin) {
        String commit = Fixtures.commit();
        experiments.register(signed(proposer, Fixtures.experiment(proposer, "tiny-lm", "d", commit, seedCommit,
                clock.millis()), Experiment.getDefaultInstance()), origin);
        return commit;
    }

    /** A CPU node's claim for any work, as the dispatcher answers it. */
    ClaimResponse tryClaim(Identity node) {
        return tryClaim(node, "");
    }

    /** The same, sent from {@code origin} (an address scope; "" for none, as loopback). */
    ClaimResponse tryClaim(Identity node, String origin) {
        return dispatcher.claim(signed(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(clock.millis()).setNonce(Fixtures.nonce()).build(),
                ClaimRequest.getDefaultInstance()), origin);
    }

    /** The unit leased to {@code node}; fails the test when there is none. */
    WorkUnit claim(Identity node) {
        ClaimResponse response = tryClaim(node);
        assertThat(response.hasUnit()).as("work for %s", node.publicId().shortForm()).isTrue();
        return response.getUnit();
    }

    /** Reports {@code metric} for {@code unit}; returns the coordinator's answer. */
    String report(Identity runner, WorkUnit unit, double metric) {
        return report(runner, unit, metric, "");
    }

    /** The same, sent from {@code origin} (an address scope; "" for none, as loopback). */
    String report(Identity runner, WorkUnit unit, double metric, String origin) {
        return results.accept(signed(runner, Fixtures.result(runner, unit, metric, clock.millis()),
                Result.getDefaultInstance()), origin).getMessage();
    }

    Trial trial(String commit) {
        return views.trials("", commit, PageRequest.first(1)).getTrials(0);
    }

    Volunteer volunteer(Identity runner) {
        return views.volunteers(clock.millis(), PageRequest.first(1000)).getVolunteersList().stream()
                .filter(v -> v.getKey().equals(runner.publicId().toByteString())).findFirst().orElseThrow();
    }
}
