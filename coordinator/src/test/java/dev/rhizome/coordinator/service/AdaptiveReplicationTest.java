package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.MutableClock;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adaptive replication on the coordinator's services over a real SQLite store, with the
 * coordinator's spot-check draw in the test's hand.
 */
class AdaptiveReplicationTest {
    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private final Identity operator = Identity.generate();
    private final Identity proposer = Identity.generate();
    private final Identity veteran = Identity.generate();
    private final Identity checker = Identity.generate();
    private final Identity third = Identity.generate();
    private final String seedCommit = Fixtures.commit();
    private double draw;
    private SqliteStore store;
    private ExperimentRegistry experiments;
    private Dispatcher dispatcher;
    private ResultIntake results;
    private Views views;

    @BeforeEach
    void start() throws Exception {
        store = SqliteStore.open(dir);
        experiments = new ExperimentRegistry(store, clock);
        dispatcher = new Dispatcher(store, clock, new Leases(Duration.ZERO), new ClaimPolicy(Duration.ofSeconds(30)),
                new Dispatcher.ClaimLimits(4, 8));
        results = new ResultIntake(store, clock, () -> draw);
        views = new Views(store, () -> 0);
        Manifest manifest = Fixtures.manifest(2, 0.01, 1);
        SeedsAndDirections operators = new SeedsAndDirections(store, clock, new Operators(Set.of()));
        operators.publishSeed(signed(operator, Fixtures.seed(operator, "tiny-lm", seedCommit, manifest, clock.millis()),
                Seed.getDefaultInstance()));
        operators.openDirection(signed(operator, Fixtures.direction(operator, "d", "tiny-lm", seedCommit, clock.millis()),
                Direction.getDefaultInstance()));
        report(veteran, claim(veteran), 3.2);
        report(checker, claim(checker), 3.2);
    }

    @AfterEach
    void stop() {
        store.close();
    }

    @Test
    void aVeteranStandsAloneUnlessSpotCheckedAndOneLieEndsItsTrust() {
        // Ten results that replicas confirm make the veteran trusted.
        for (int i = 0; i < Reputation.TRUST_AFTER - 1; i++) {
            propose();
            report(veteran, claim(veteran), 3.3);
            report(checker, claim(checker), 3.3);
        }
        assertThat(volunteer(veteran).getTrusted()).isTrue();
        // `node status` asks for its own key alone: the same record as the list's, credit and all
        assertThat(views.volunteer(veteran.publicId().toString(), clock.millis()).getVolunteersList())
                .containsExactly(volunteer(veteran));
        assertThat(volunteer(veteran).getCreditSeconds()).isPositive();
        assertThat(views.volunteer(Identity.generate().publicId().toString(), clock.millis()).getVolunteersList())
                .as("a key with no record: an empty list, not an error").isEmpty();
        assertThatThrownBy(() -> views.volunteer("zz", clock.millis())).hasMessageContaining("query parameter key");

        // Its next result stands alone when the draw skips the spot check; the replica is withdrawn.
        draw = 0.99;
        String alone = propose();
        WorkUnit unit = claim(veteran);
        assertThat(report(veteran, unit, 3.25)).contains("accepted on the runner's reputation");
        Trial trial = trials(alone);
        assertThat(trial.getAcceptedOnReputation()).isTrue();
        assertThat(trial.getState()).isEqualTo(ResultVerdict.State.VALID);
        assertThat(pendingUnits()).as("the replica was withdrawn").isZero();

        // A spot check keeps the replica: the lie meets an honest runner, then a tie-breaker.
        draw = 0.0;
        String checked = propose();
        assertThat(report(veteran, claim(veteran), 1.0)).contains("spot check");
        report(checker, claim(checker), 3.3);
        assertThat(trials(checked).getState()).isEqualTo(ResultVerdict.State.INCONCLUSIVE);
        report(third, claim(third), 3.3);
        assertThat(trials(checked).getResultsList()).extracting(ResultVerdict::getState)
                .containsExactly(ResultVerdict.State.INVALID, ResultVerdict.State.VALID, ResultVerdict.State.VALID);
        Volunteer v = volunteer(veteran);
        assertThat(v.getTrusted()).isFalse();
        assertThat(v.getConsecutiveValid()).isZero();
        assertThat(v.getInvalid()).isEqualTo(1);

        // Untrusted again: whatever the draw, its next result waits for a replica.
        draw = 0.99;
        String next = propose();
        report(veteran, claim(veteran), 3.3);
        assertThat(trials(next).getState()).isEqualTo(ResultVerdict.State.PENDING);
    }

    @Test
    void aSpotChecksReplicaWaitsForAKeyTheCoordinatorChoseNotASecondKeyOfTheRunner() {
        for (int i = 0; i < Reputation.TRUST_AFTER - 1; i++) {
            propose();
            report(veteran, claim(veteran), 3.3);
            report(checker, claim(checker), 3.3);
        }
        Identity accomplice = Identity.generate();
        announce(veteran, "10.0.0.7");
        announce(accomplice, "10.0.0.7");  // the same machine as the veteran
        announce(checker, "10.0.0.8");
        draw = 0.0;
        String checked = propose();
        assertThat(report(veteran, claim(veteran), 1.0)).contains("spot check").contains("1 key(s) the coordinator chose");
        assertThat(tryClaim(accomplice).hasUnit()).as("a key on the runner's host does not get the replica").isFalse();
        Identity stranger = Identity.generate();
        assertThat(tryClaim(stranger).hasUnit()).as("nor a key the coordinator did not choose").isFalse();
        WorkUnit replica = claim(checker);
        assertThat(replica.getCommit()).isEqualTo(checked);
        report(checker, replica, 3.3);
        assertThat(trials(checked).getState()).isEqualTo(ResultVerdict.State.INCONCLUSIVE);
    }

    /**
     * The host a node announces is its own word: a second key of the runner naming another host
     * is still seen from the runner's network, and is not chosen.
     */
    @Test
    void aSpotChecksReplicaIsNotReservedForAKeySeenFromTheRunnersNetworkWhateverHostItNames() {
        for (int i = 0; i < Reputation.TRUST_AFTER - 1; i++) {
            propose();
            report(veteran, claim(veteran), 3.3);
            report(checker, claim(checker), 3.3);
        }
        Identity accomplice = Identity.generate();
        announce(veteran, "veteran.example", "81.2.69.5");
        announce(accomplice, "elsewhere.example", "81.2.69.77");
        announce(checker, "checker.example", "84.17.46.8");
        draw = 0.0;
        String checked = propose();
        assertThat(report(veteran, claim(veteran), 1.0)).contains("spot check").contains("1 key(s) the coordinator chose");
        assertThat(tryClaim(accomplice).hasUnit()).as("not chosen").isFalse();
        assertThat(claim(checker).getCommit()).isEqualTo(checked);
    }

    @Test
    void aSpotChecksReplicaGoesToAnyoneOnceItsChosenKeysLetTheHoldPass() {
        for (int i = 0; i < Reputation.TRUST_AFTER - 1; i++) {
            propose();
            report(veteran, claim(veteran), 3.3);
            report(checker, claim(checker), 3.3);
        }
        announce(checker, "10.0.0.8");
        draw = 0.0;
        String checked = propose();
        assertThat(report(veteran, claim(veteran), 3.3)).contains("spot check");
        assertThat(tryClaim(third).hasUnit()).isFalse();
        clock.advance(SpotChecks.HOLD.plusMillis(1));
        WorkUnit replica = claim(third);
        assertThat(replica.getCommit()).as("the check is not stuck").isEqualTo(checked);
    }

    private void announce(Identity node, String host) {
        announce(node, host, "");
    }

    /** @param origin the address scope the announcement came from ("" for none) */
    private void announce(Identity node, String host, String origin) {
        new PeerDirectory(store, clock).announce(signed(node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost(host).setPort(7000).setHardwareClass("cpu:x86_64")
                .setTimeMs(clock.millis()).build(), NodeAnnouncement.getDefaultInstance()), origin);
    }

    private ClaimResponse tryClaim(Identity node) {
        return dispatcher.claim(signed(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(clock.millis()).setNonce(Fixtures.nonce()).build(),
                ClaimRequest.getDefaultInstance()));
    }

    @Test
    void aTrustedRunnerNeverStandsAloneOnItsOwnProposal() {
        for (int i = 0; i < Reputation.TRUST_AFTER - 1; i++) {
            propose();
            report(veteran, claim(veteran), 3.3);
            report(checker, claim(checker), 3.3);
        }
        draw = 0.99;
        String own = Fixtures.commit();
        experiments.register(signed(veteran, Fixtures.experiment(veteran, "tiny-lm", "d", own, seedCommit,
                clock.millis()), Experiment.getDefaultInstance()));
        clock.advance(Duration.ofSeconds(31));  // nobody else came: the proposer may run it
        report(veteran, claim(veteran), 1.0);
        assertThat(trials(own).getAcceptedOnReputation()).isFalse();
        assertThat(trials(own).getState()).isEqualTo(ResultVerdict.State.PENDING);
    }

    private String propose() {
        String commit = Fixtures.commit();
        experiments.register(signed(proposer, Fixtures.experiment(proposer, "tiny-lm", "d", commit, seedCommit,
                clock.millis()), Experiment.getDefaultInstance()));
        return commit;
    }

    private WorkUnit claim(Identity node) {
        var response = dispatcher.claim(signed(node, ClaimRequest.newBuilder().setNode(node.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(clock.millis()).setNonce(Fixtures.nonce()).build(),
                ClaimRequest.getDefaultInstance()));
        assertThat(response.hasUnit()).as("work for %s", node.publicId().shortForm()).isTrue();
        return response.getUnit();
    }

    private String report(Identity runner, WorkUnit unit, double metric) {
        return results.accept(signed(runner, Fixtures.result(runner, unit, metric, clock.millis()),
                Result.getDefaultInstance())).getMessage();
    }

    private Trial trials(String commit) {
        return views.trials("", commit, PageRequest.first(1)).getTrials(0);
    }

    private long pendingUnits() {
        return views.units(Optional.of(UnitStatus.State.OPEN), PageRequest.first(1000)).getUnitsCount();
    }

    private Volunteer volunteer(Identity runner) {
        return views.volunteers(clock.millis(), PageRequest.first(1000)).getVolunteersList().stream()
                .filter(v -> v.getKey().equals(runner.publicId().toByteString())).findFirst().orElseThrow();
    }

    private static <T extends com.google.protobuf.Message> Verified<T> signed(Identity signer, T record, T prototype) {
        try {
            return Envelopes.open(Envelopes.sign(signer, record), prototype);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
