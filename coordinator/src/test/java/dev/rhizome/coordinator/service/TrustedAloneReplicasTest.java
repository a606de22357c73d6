package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
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

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aLeasedReplicaOfATrialAcceptedAloneIsWithdrawnAndDoesNotComeBackAtExpiry(String kind) throws Exception {
        SettledHistory.onStore(kind, dir, store -> run(new TrustServices(store)));
    }

    private void run(TrustServices trust) {
        Identity veteran = trust.veteran;
        Identity checker = trust.checker;
        trust.agreeOn(Reputation.TRUST_AFTER);

        trust.draw = 0.99;  // no spot check
        trust.propose();
        WorkUnit held = trust.claim(checker);  // the replica, leased before the veteran reports
        assertThat(trust.report(veteran, trust.claim(veteran), 3.25)).contains("accepted on the runner's reputation");
        UnitStatus withdrawn = unit(trust.views, held.getId());
        assertThat(withdrawn.getState()).as("the leased replica is withdrawn").isEqualTo(UnitStatus.State.DONE);

        trust.clock.advance(Duration.ofHours(2));  // past any lease
        trust.dispatcher.sweep();
        assertThat(unit(trust.views, held.getId()).getState()).as("it does not come back at its lease's expiry")
                .isEqualTo(UnitStatus.State.DONE);
        assertThat(trust.views.units(Optional.of(UnitStatus.State.OPEN), PageRequest.first(1000)).getUnitsList())
                .as("nothing of the decided trial is open to run").noneMatch(u -> u.getUnit().getCommit().equals(held.getCommit()));
        // its holder's result, when it comes, is kept, counting for nothing
        assertThat(trust.report(checker, held, 3.25)).contains("TOO_LATE");
        assertThat(trust.trial(held.getCommit()).getState()).isEqualTo(ResultVerdict.State.VALID);
    }

    private static UnitStatus unit(Views views, String id) {
        return views.units(Optional.empty(), PageRequest.first(1000)).getUnitsList().stream()
                .filter(u -> u.getUnit().getId().equals(id)).findFirst().orElseThrow();
    }
}
