package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.proto.v1.ClaimResponse;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A trusted runner's result stands alone at the trial seeds, never at a confirmation seed: the
 * confirmation is what stands between a pass at the public seeds and a moved frontier, and a few
 * keys, each trusted after ten honest runs, took both sides of it unchecked nine times in ten
 * each (the candidate's trials and the frontier's there). On both stores, through the services.
 */
class TrustedAloneConfirmationTest {
    private static final Set<Long> TRIAL_SEEDS = Set.of(42L, 43L, 44L);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aTrustedRunnersResultAtAConfirmationSeedDoesNotStandAlone(String kind) throws Exception {
        SettledHistory.onStore(kind, dir, store -> run(new TrustServices(store, 3)));
    }

    private void run(TrustServices trust) {
        Identity veteran = trust.veteran;
        trust.store.inTransaction(tx -> {
            tx.saveReputation(veteran.publicId().toByteString(), new Reputation(Reputation.TRUST_AFTER, 0, 0,
                    Reputation.TRUST_AFTER, 0, 200));
            return null;
        });
        String candidate = trust.propose();
        // the base's and the candidate's trials at the public seeds, each replica by a key of its own,
        // every trusted result checked: the candidate passes by 0.2 and its confirmation is drawn
        trust.draw = 0.0;
        for (int i = 0; i < 40; i++) {
            Identity helper = Identity.generate();
            ClaimResponse response = trust.tryClaim(helper);
            if (!response.hasUnit() || !TRIAL_SEEDS.contains(response.getUnit().getRandomSeed())) {
                break;
            }
            WorkUnit unit = response.getUnit();
            trust.report(helper, unit, unit.getCommit().equals(candidate) ? 3.0 : 3.2);
        }
        assertThat(trust.views.confirmations("d", PageRequest.first(100)).getConfirmationsList()).as("the candidate passed the trial seeds")
                .singleElement().satisfies(c -> assertThat(c.getCommit()).isEqualTo(candidate));

        trust.draw = 0.99;  // the draw that lets a trusted result stand alone
        WorkUnit atConfirmation = trust.claim(veteran);
        assertThat(TRIAL_SEEDS).doesNotContain(atConfirmation.getRandomSeed());
        assertThat(trust.report(veteran, atConfirmation, 2.0)).doesNotContain("accepted on the runner's reputation");
        Trial t = trust.views.trials("", atConfirmation.getCommit(), PageRequest.first(100))
                .getTrialsList().stream().filter(x -> x.getRandomSeed() == atConfirmation.getRandomSeed())
                .findFirst().orElseThrow();
        assertThat(t.getState()).as("one result of quorum 2, however trusted its runner").isEqualTo(
                ResultVerdict.State.PENDING);
        assertThat(t.getAcceptedOnReputation()).isFalse();
    }
}
