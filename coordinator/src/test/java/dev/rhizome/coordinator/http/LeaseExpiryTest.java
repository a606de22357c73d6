package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.coordinator.support.CoordinatorOnLoopback;
import dev.rhizome.coordinator.support.Harness;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.LeaseRenewal;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Leases derived from the manifest (60 s timeout: 150 s), expired by moving the coordinator's clock. */
class LeaseExpiryTest {
    private static final Duration LEASE = Duration.ofSeconds(150);

    private Harness h;
    @RegisterExtension
    final CoordinatorOnLoopback loopback = CoordinatorOnLoopback.protobuf().into(started -> h = started);
    private final Identity first = Identity.generate();
    private final Identity second = Identity.generate();

    @Test
    void anExpiredLeaseIsReissuedToAnotherNodeAndTheLateResultIsKeptAsTooLate() {
        WorkUnit unit = h.claimEvaluation(first, h.seedCommit);
        assertThat(h.api.claim(second)).as("leased units are not handed out twice").isNull();

        h.clock.advance(LEASE.plusMillis(1));
        WorkUnit reissued = h.claimEvaluation(second, h.seedCommit);
        assertThat(reissued.getId()).isEqualTo(unit.getId());
        assertThat(reissued.getAttempt()).isEqualTo(2);
        UnitStatus status = h.unit(unit.getId());
        assertThat(status.getHolder()).isEqualTo(second.publicId().toByteString());
        assertThat(status.getExpiredLeases()).isEqualTo(1);
        assertThat(h.api.get("/v1/stats", CoordinatorStats.newBuilder()).getLeasesExpired()).isEqualTo(1);

        Result lateResult = Fixtures.result(first, unit, 3.2, h.clock.millis());
        var late = h.api.signAndPost("/v1/results", first, lateResult);
        assertThat(late.status()).isEqualTo(200);
        assertThat(late.ack().getMessage()).contains("TOO_LATE").contains("re-leased");
        assertThat(h.unit(unit.getId()).getState()).as("the unit stays with its holder")
                .isEqualTo(UnitStatus.State.LEASED);
        assertThat(h.api.signAndPost("/v1/results", first, lateResult).ack().getMessage())
                .as("a retry is answered as before").contains("already recorded");
        var other = h.api.signAndPost("/v1/results", first, Fixtures.result(first, unit, 3.0, h.clock.millis() + 1));
        assertThat(other.status()).as("one result per key and unit").isEqualTo(409);

        h.api.signAndPost("/v1/results", second, Fixtures.result(second, reissued, 3.5, h.clock.millis())).ack();
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.DONE);
        Trial trial = h.api.get("/v1/trials?commit=" + h.seedCommit, TrialList.newBuilder()).getTrials(0);
        assertThat(trial.getState()).isEqualTo(ResultVerdict.State.VALID);
        assertThat(trial.getMetric()).as("decided by the holder's result alone").isEqualTo(3.5);
        assertThat(trial.getResultsList()).extracting(ResultVerdict::getRunner, ResultVerdict::getState).containsExactly(
                tuple(first.publicId().toByteString(), ResultVerdict.State.TOO_LATE),
                tuple(second.publicId().toByteString(), ResultVerdict.State.VALID));
        assertThat(h.api.get("/v1/results?commit=" + h.seedCommit, EnvelopeList.newBuilder()).getEnvelopesCount())
                .as("the late result is on record, signed").isEqualTo(2);
        assertThat(h.api.get("/v1/leaderboard?direction=" + Harness.DIRECTION, LeaderboardList.newBuilder())
                .getLeaderboards(0).getEntriesList()).singleElement().satisfies(e -> assertThat(e.getMetric())
                        .as("the late result is left out of the mean").isEqualTo(3.5));
    }

    @Test
    void aResultForAUnitCompletedByAnotherKeyIsTooLateAndAStrangersIsRefused() {
        WorkUnit unit = h.claimEvaluation(first, h.seedCommit);
        h.clock.advance(LEASE.plusMillis(1));
        WorkUnit reissued = h.claimEvaluation(second, h.seedCommit);
        h.api.signAndPost("/v1/results", second, Fixtures.result(second, reissued, 3.5, h.clock.millis())).ack();
        assertThat(h.api.signAndPost("/v1/results", first, Fixtures.result(first, unit, 3.2, h.clock.millis()))
                .ack().getMessage()).contains("TOO_LATE").contains("already completed by");
        Identity stranger = Identity.generate();
        var refused = h.api.signAndPost("/v1/results", stranger, Fixtures.result(stranger, unit, 3.2, h.clock.millis()));
        assertThat(refused.status()).as("a key that never held the unit").isEqualTo(403);
        assertThat(h.api.get("/v1/trials?commit=" + h.seedCommit, TrialList.newBuilder()).getTrials(0).getMetric())
                .isEqualTo(3.5);
    }

    @Test
    void aLateResultIsStillAcceptedWhileNobodyElseTookTheUnit() {
        WorkUnit unit = h.claimEvaluation(first, h.seedCommit);
        h.clock.advance(LEASE.plusSeconds(60));
        Identity elsewhere = Identity.generate();
        assertThat(h.api.signAndPost("/v1/claim", elsewhere, ClaimRequest.newBuilder()
                .setNode(elsewhere.publicId().toByteString()).addKinds(WorkUnit.Kind.EXPLORE)
                .setDirection(Harness.DIRECTION).setTimeMs(h.clock.millis()).setNonce(Fixtures.nonce()).build()).status()).isEqualTo(200);
        assertThat(h.unit(unit.getId()).getState()).as("the claim reopened the expired unit")
                .isEqualTo(UnitStatus.State.OPEN);
        h.api.signAndPost("/v1/results", first, Fixtures.result(first, unit, 3.2, h.clock.millis())).ack();
        assertThat(h.unit(unit.getId()).getState()).isEqualTo(UnitStatus.State.DONE);
        assertThat(h.api.claim(second)).isNull();
    }

    @Test
    void onlyTheHolderRenewsAndOnlyBeforeTheDeadline() {
        WorkUnit unit = h.claimEvaluation(first, h.seedCommit);
        h.clock.advance(Duration.ofSeconds(100));
        var renewed = h.api.signAndPost("/v1/leases/renew", first, renewal(first, unit)).ack();
        assertThat(Long.parseLong(renewed.getMessage())).isEqualTo(h.clock.millis() + LEASE.toMillis());

        var stranger = h.api.signAndPost("/v1/leases/renew", second, renewal(second, unit));
        assertThat(stranger.status()).isEqualTo(403);

        h.clock.advance(LEASE.plusMillis(1));
        var expired = h.api.signAndPost("/v1/leases/renew", first, renewal(first, unit));
        assertThat(expired.status()).isEqualTo(409);
        assertThat(expired.error().getCode()).isEqualTo(Error.Code.LEASE_EXPIRED);
    }

    private LeaseRenewal renewal(Identity node, WorkUnit unit) {
        return LeaseRenewal.newBuilder().setWorkUnitId(unit.getId()).setNode(node.publicId().toByteString())
                .setTimeMs(h.clock.millis()).build();
    }
}
