package dev.rhizome.coordinator.trust;

import static dev.rhizome.coordinator.support.Harness.DIRECTION;
import static dev.rhizome.coordinator.support.Harness.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.CoordinatorLimits;
import dev.rhizome.coordinator.core.ConfirmationRule;
import dev.rhizome.coordinator.support.ApiClient;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.OnEachStore;
import dev.rhizome.proto.v1.ConfirmationList;
import dev.rhizome.proto.v1.SeedCommitment;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A candidate's EVALUATE units carry its seed commitment, and a runner signs back the one its
 * lease carried (round 27), so the commitment's place before the deciding results is the runners'
 * word, not the coordinator's alone. A result naming another commitment ran under a lease this
 * store never gave and is refused, naming both; an older node's result, naming none, is stored.
 */
class SeedCommitmentAttestationTest extends OnEachStore {
    private String candidate;
    private ByteString commitment;

    @BeforeEach
    void start() throws Exception {
        open(Fixtures.manifest(2, 0.01, 3), ApiClient.Format.JSON, CoordinatorLimits.defaults()).withSeedAndDirection();
        Identity proposer = Identity.generate();
        candidate = Fixtures.commit();
        h.api.signAndPost("/v1/experiments", proposer,
                Fixtures.experiment(proposer, SEED, DIRECTION, candidate, h.seedCommit, h.clock.millis())).ack();
        SeedCommitment made = h.api.get("/v1/confirmations?direction=" + DIRECTION, ConfirmationList.newBuilder())
                .getSeedCommitmentsList().stream().filter(c -> c.getCommit().equals(candidate)).findFirst()
                .orElseThrow();
        commitment = made.getCommitment();
    }

    /** A runner holding a unit of {@code commit}: the units queued before it (the base's) go to other fresh keys. */
    private record Leased(Identity runner, WorkUnit unit) {
    }

    private Leased claim(String commit) {
        for (int i = 0; i < 20; i++) {
            Identity runner = Identity.generate();
            WorkUnit unit = h.api.claim(runner);
            assertThat(unit).as("work is queued for " + commit).isNotNull();
            if (unit.getCommit().equals(commit)) {
                return new Leased(runner, unit);
            }
        }
        throw new AssertionError("no unit of " + commit + " in 20 claims");
    }

    @Test
    void theCandidatesUnitsCarryItsCommitmentAndTheBasesNone() {
        assertThat(claim(h.seedCommit).unit().getSeedCommitment())
                .as("the base was registered by no experiment: no secret, nothing to attest").isEmpty();
        assertThat(claim(candidate).unit().getSeedCommitment()).isEqualTo(commitment);
    }

    @Test
    void aResultNamingAnotherCommitmentIsRefusedAndTheOneLeasedIsStored() {
        Leased leased = claim(candidate);
        Identity runner = leased.runner();
        WorkUnit unit = leased.unit();
        ByteString other = ByteString.copyFrom(ConfirmationRule.commitment(new byte[ConfirmationRule.SECRET_BYTES]));
        var refused = h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, 3.1, h.clock.millis())
                .toBuilder().setSeedCommitment(other).setAttestsSeedCommitment(true).build());
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error().getMessage()).contains("seed_commitment " + HexFormat.of().formatHex(other.toByteArray()))
                .contains(HexFormat.of().formatHex(commitment.toByteArray())).contains(unit.getId());

        assertThat(h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, 3.1, h.clock.millis())
                .toBuilder().setSeedCommitment(unit.getSeedCommitment()).setAttestsSeedCommitment(true).build())
                .status()).isEqualTo(200);
    }

    @Test
    void anOlderNodesResultNamingNoneIsStored() {
        Leased leased = claim(candidate);
        Identity runner = leased.runner();
        WorkUnit unit = leased.unit();
        assertThat(h.api.signAndPost("/v1/results", runner, Fixtures.result(runner, unit, 3.1, h.clock.millis()))
                .status()).isEqualTo(200);
    }
}
