package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.core.ClaimPolicy;
import dev.rhizome.coordinator.core.Leases;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.ReplicaNetworks;
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
import java.util.ArrayList;
import java.util.List;
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

    private final Identity third = Identity.generate();
    private SqliteStore store;
    private TrustServices trust;
    private Identity veteran;
    private Identity checker;

    @BeforeEach
    void start() throws Exception {
        store = SqliteStore.open(dir);
        trust = new TrustServices(store);
        veteran = trust.veteran;
        checker = trust.checker;
    }

    @AfterEach
    void stop() {
        store.close();
    }

    @Test
    void aVeteranStandsAloneUnlessSpotCheckedAndOneLieEndsItsTrust() {
        // Ten results that replicas confirm make the veteran trusted.
        trust.agreeOn(Reputation.TRUST_AFTER - 1);
        assertThat(trust.volunteer(veteran).getTrusted()).isTrue();
        // `node status` asks for its own key alone: the same record as the list's, credit and all
        assertThat(trust.views.volunteer(veteran.publicId().toString(), trust.clock.millis()).getVolunteersList())
                .containsExactly(trust.volunteer(veteran));
        assertThat(trust.volunteer(veteran).getCreditSeconds()).isPositive();
        assertThat(trust.views.volunteer(Identity.generate().publicId().toString(), trust.clock.millis())
                .getVolunteersList())
                .as("a key with no record: an empty list, not an error").isEmpty();
        assertThatThrownBy(() -> trust.views.volunteer("zz", trust.clock.millis()))
                .hasMessageContaining("query parameter key");

        // Its next result stands alone when the draw skips the spot check; the replica is withdrawn.
        trust.draw = 0.99;
        String alone = trust.propose();
        WorkUnit unit = trust.claim(veteran);
        assertThat(trust.report(veteran, unit, 3.25)).contains("accepted on the runner's reputation");
        Trial trial = trust.trial(alone);
        assertThat(trial.getAcceptedOnReputation()).isTrue();
        assertThat(trial.getState()).isEqualTo(ResultVerdict.State.VALID);
        assertThat(pendingUnits()).as("the replica was withdrawn").isZero();

        // A spot check keeps the replica: the lie meets an honest runner, then a tie-breaker.
        trust.draw = 0.0;
        String checked = trust.propose();
        assertThat(trust.report(veteran, trust.claim(veteran), 1.0)).contains("spot check");
        trust.report(checker, trust.claim(checker), 3.3);
        assertThat(trust.trial(checked).getState()).isEqualTo(ResultVerdict.State.INCONCLUSIVE);
        trust.report(third, trust.claim(third), 3.3);
        assertThat(trust.trial(checked).getResultsList()).extracting(ResultVerdict::getState)
                .containsExactly(ResultVerdict.State.INVALID, ResultVerdict.State.VALID, ResultVerdict.State.VALID);
        Volunteer v = trust.volunteer(veteran);
        assertThat(v.getTrusted()).isFalse();
        assertThat(v.getConsecutiveValid()).isZero();
        assertThat(v.getInvalid()).isEqualTo(1);

        // Untrusted again: whatever the draw, its next result waits for a replica.
        trust.draw = 0.99;
        String next = trust.propose();
        trust.report(veteran, trust.claim(veteran), 3.3);
        assertThat(trust.trial(next).getState()).isEqualTo(ResultVerdict.State.PENDING);
    }

    @Test
    void aSpotChecksReplicaWaitsForAKeyTheCoordinatorChoseNotASecondKeyOfTheRunner() {
        trust.agreeOn(Reputation.TRUST_AFTER - 1);
        Identity accomplice = Identity.generate();
        announce(veteran, "10.0.0.7", "10.0.0.7");
        announce(accomplice, "10.0.0.7", "10.0.0.7");  // the same machine as the veteran, as the coordinator saw it
        announce(checker, "10.0.0.8", "10.0.0.8");
        trust.draw = 0.0;
        String checked = trust.propose();
        assertThat(trust.report(veteran, trust.claim(veteran), 1.0)).contains("spot check")
                .contains("1 key(s) the coordinator chose");
        assertThat(trust.tryClaim(accomplice).hasUnit()).as("a key on the runner's host does not get the replica")
                .isFalse();
        Identity stranger = Identity.generate();
        assertThat(trust.tryClaim(stranger).hasUnit()).as("nor a key the coordinator did not choose").isFalse();
        WorkUnit replica = trust.claim(checker);
        assertThat(replica.getCommit()).isEqualTo(checked);
        trust.report(checker, replica, 3.3);
        assertThat(trust.trial(checked).getState()).isEqualTo(ResultVerdict.State.INCONCLUSIVE);
    }

    /**
     * The host a node announces is its own word: a second key of the runner naming another host
     * is still seen from the runner's network, and is not chosen.
     */
    @Test
    void aSpotChecksReplicaIsNotReservedForAKeySeenFromTheRunnersNetworkWhateverHostItNames() {
        trust.agreeOn(Reputation.TRUST_AFTER - 1);
        Identity accomplice = Identity.generate();
        announce(veteran, "veteran.example", "81.2.69.5");
        announce(accomplice, "elsewhere.example", "81.2.69.77");
        announce(checker, "checker.example", "84.17.46.8");
        trust.draw = 0.0;
        String checked = trust.propose();
        assertThat(trust.report(veteran, trust.claim(veteran), 1.0)).contains("spot check")
                .contains("1 key(s) the coordinator chose");
        assertThat(trust.tryClaim(accomplice).hasUnit()).as("not chosen").isFalse();
        assertThat(trust.claim(checker).getCommit()).isEqualTo(checked);
    }

    /**
     * Fresh keys announced from another network than the runner's, more of them than the nodes a
     * directory lists, were the keys seen last and so the only ones a spot check drew from: the
     * runner checked itself. Keys without a valid result on record are not drawn, for the check's
     * replica nor for its tie-breaker (which was open to any key: one from the runner's second
     * network outvoted the checker).
     */
    @Test
    void aSpotCheckAndItsTieBreakerAreNotReservedForFreshKeysAnnouncedInBulkFromAnotherNetwork() {
        trust.agreeOn(Reputation.TRUST_AFTER - 1);
        announce(veteran, "veteran.example", "81.2.69.5");
        announce(checker, "checker.example", "84.17.46.8");
        List<Identity> fresh = new ArrayList<>();
        for (int i = 0; i < PeerDirectory.MAX_NODES_LISTED + 10; i++) {
            trust.clock.advance(Duration.ofMillis(1));
            Identity key = Identity.generate();
            fresh.add(key);
            announce(key, "x" + i + ".example", "93.184.216.34");
        }
        trust.draw = 0.0;
        String checked = trust.propose();
        assertThat(trust.report(veteran, trust.claim(veteran), 1.0)).contains("spot check")
                .contains("1 key(s) the coordinator chose");
        assertThat(fresh.subList(0, 5)).allSatisfy(key ->
                assertThat(trust.tryClaim(key).hasUnit()).as("a fresh key is not chosen").isFalse());
        WorkUnit replica = trust.claim(checker);
        assertThat(replica.getCommit()).isEqualTo(checked);

        store.inTransaction(tx -> {
            tx.saveReputation(third.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            return null;
        });
        announce(third, "third.example", "62.3.4.5");
        assertThat(trust.report(checker, replica, 3.3)).contains("another evaluation queued")
                .contains("1 key(s) the coordinator chose");
        assertThat(fresh.subList(0, 5)).allSatisfy(key ->
                assertThat(trust.tryClaim(key).hasUnit()).as("a fresh key does not break the tie").isFalse());
        trust.report(third, trust.claim(third), 3.3);
        assertThat(trust.trial(checked).getResultsList()).extracting(ResultVerdict::getState)
                .containsExactly(ResultVerdict.State.INVALID, ResultVerdict.State.VALID, ResultVerdict.State.VALID);
    }

    /**
     * A runner may announce from one network and claim from another: the coordinator saw its
     * claim, so the claim's network is the runner's too, and a key of the runner's announcing from
     * there (with standing earned there) is not chosen to check it. Until round 28 only the
     * announcement's network was left out, and that key was chosen.
     */
    @Test
    void aRunnerAnnouncingFromOneNetworkAndClaimingFromAnotherIsNotCheckedByItsKeyThere() {
        trust.agreeOn(Reputation.TRUST_AFTER - 1);
        Identity accomplice = Identity.generate();
        standing(accomplice);
        announce(veteran, "veteran.example", "81.2.69.5");
        announce(accomplice, "accomplice.example", "62.3.4.5");
        announce(checker, "checker.example", "84.17.46.8");
        trust.draw = 0.0;
        String checked = trust.propose();
        WorkUnit leased = trust.tryClaim(veteran, "62.3.4.9").getUnit();
        assertThat(trust.report(veteran, leased, 1.0)).contains("spot check")
                .contains("1 key(s) the coordinator chose");
        assertThat(trust.tryClaim(accomplice).hasUnit()).as("not chosen").isFalse();
        assertThat(trust.claim(checker).getCommit()).isEqualTo(checked);
    }

    /**
     * A lease's network says where it was claimed, not where its result came from: an attacker
     * that leases from one network and reports from another showed both, and its key announcing
     * from the second (with standing earned there) is not chosen to check it. Until round 28 the
     * result's network was not recorded, and that key was chosen.
     */
    @Test
    void aRunnerLeasingFromOneNetworkAndReportingFromAnotherIsNotCheckedByItsKeyThere() {
        trust.agreeOn(Reputation.TRUST_AFTER - 1);
        Identity accomplice = Identity.generate();
        standing(accomplice);
        announce(veteran, "veteran.example", "81.2.69.5");
        announce(accomplice, "accomplice.example", "95.142.1.5");
        announce(checker, "checker.example", "84.17.46.8");
        trust.draw = 0.0;
        String checked = trust.propose();
        WorkUnit leased = trust.tryClaim(veteran, "62.3.4.9").getUnit();
        assertThat(trust.report(veteran, leased, 1.0, "95.142.1.7")).contains("spot check")
                .contains("1 key(s) the coordinator chose");
        assertThat(trust.tryClaim(accomplice).hasUnit()).as("not chosen").isFalse();
        assertThat(trust.claim(checker).getCommit()).isEqualTo(checked);
    }

    /**
     * A proposer that registers its own commit claims no exploration, so the network it registered
     * from is the only one the coordinator saw it use: a key announcing from there is not chosen to
     * check a trial of its commit. Until round 28 the proposer was known by its announcements
     * alone, and one that never announced by none.
     */
    @Test
    void aProposerIsNotCheckedByAKeyAnnouncingFromTheNetworkItRegisteredFrom() {
        trust.agreeOn(Reputation.TRUST_AFTER - 1);
        Identity accomplice = Identity.generate();
        standing(accomplice);
        announce(veteran, "veteran.example", "81.2.69.5");
        announce(accomplice, "accomplice.example", "5.6.7.9");
        announce(checker, "checker.example", "84.17.46.8");
        trust.draw = 0.0;
        String checked = trust.propose("5.6.7.8");
        WorkUnit leased = trust.tryClaim(veteran, "81.2.69.5").getUnit();
        assertThat(trust.report(veteran, leased, 1.0, "81.2.69.5")).contains("spot check")
                .contains("1 key(s) the coordinator chose");
        assertThat(trust.tryClaim(accomplice).hasUnit()).as("not chosen").isFalse();
        assertThat(trust.claim(checker).getCommit()).isEqualTo(checked);
    }

    /**
     * A chosen key's claim may come from anywhere: a key of the runner's chosen for the network it
     * announced from may not take the check from a network that leased the trial, even once the
     * replicas' hold on that network (10 minutes from its lease, often past when a check is
     * reserved) has passed. Until round 28 it could, and checked its own runner.
     */
    @Test
    void aChosenKeyMayNotTakeTheCheckFromANetworkThatLeasedTheTrial() {
        trust.agreeOn(Reputation.TRUST_AFTER - 1);
        Identity accomplice = Identity.generate();
        standing(accomplice);
        announce(veteran, "veteran.example", "81.2.69.5");
        announce(accomplice, "accomplice.example", "62.3.4.5");
        trust.draw = 0.0;
        String checked = trust.propose();
        WorkUnit leased = trust.tryClaim(veteran, "81.2.69.5").getUnit();
        trust.clock.advance(ReplicaNetworks.HOLD.plusSeconds(1));  // the job ran
        announce(veteran, "veteran.example", "81.2.69.5");
        announce(accomplice, "accomplice.example", "62.3.4.5");
        announce(checker, "checker.example", "84.17.46.8");
        assertThat(trust.report(veteran, leased, 1.0)).contains("spot check")
                .contains("2 key(s) the coordinator chose");
        assertThat(trust.tryClaim(accomplice, "81.2.69.77").hasUnit()).as("from the runner's network").isFalse();
        assertThat(trust.claim(checker).getCommit()).isEqualTo(checked);
    }

    private void standing(Identity key) {
        store.inTransaction(tx -> {
            tx.saveReputation(key.publicId().toByteString(), Reputation.fresh().onValid(1_000));
            return null;
        });
    }

    @Test
    void aSpotChecksReplicaGoesToAnyoneOnceItsChosenKeysLetTheHoldPass() {
        trust.agreeOn(Reputation.TRUST_AFTER - 1);
        announce(checker, "10.0.0.8");
        trust.draw = 0.0;
        String checked = trust.propose();
        assertThat(trust.report(veteran, trust.claim(veteran), 3.3)).contains("spot check");
        assertThat(trust.tryClaim(third).hasUnit()).isFalse();
        trust.clock.advance(SpotChecks.HOLD.plusMillis(1));
        WorkUnit replica = trust.claim(third);
        assertThat(replica.getCommit()).as("the check is not stuck").isEqualTo(checked);
    }

    private void announce(Identity node, String host) {
        announce(node, host, "");
    }

    /** @param origin the address scope the announcement came from ("" for none) */
    private void announce(Identity node, String host, String origin) {
        new PeerDirectory(store, trust.clock).announce(Fixtures.signed(node, NodeAnnouncement.newBuilder()
                .setNode(node.publicId().toByteString()).setHost(host).setPort(7000).setHardwareClass("cpu:x86_64")
                .setTimeMs(trust.clock.millis()).build(), NodeAnnouncement.getDefaultInstance()), origin);
    }

    @Test
    void aTrustedRunnerNeverStandsAloneOnItsOwnProposal() {
        trust.agreeOn(Reputation.TRUST_AFTER - 1);
        trust.draw = 0.99;
        String own = Fixtures.commit();
        trust.experiments.register(Fixtures.signed(veteran, Fixtures.experiment(veteran, "tiny-lm", "d", own,
                trust.seedCommit, trust.clock.millis()), Experiment.getDefaultInstance()));
        trust.clock.advance(Duration.ofSeconds(31));  // nobody else came: the proposer may run it
        trust.report(veteran, trust.claim(veteran), 1.0);
        assertThat(trust.trial(own).getAcceptedOnReputation()).isFalse();
        assertThat(trust.trial(own).getState()).isEqualTo(ResultVerdict.State.PENDING);
    }

    private long pendingUnits() {
        return trust.views.units(Optional.of(UnitStatus.State.OPEN), PageRequest.first(1000)).getUnitsCount();
    }
}
