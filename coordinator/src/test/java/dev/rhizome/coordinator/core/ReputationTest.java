package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReputationTest {
    @Test
    void aLongValidRecordIsSpotCheckedAndAnyInvalidResultResetsIt() {
        Reputation r = Reputation.fresh();
        for (int i = 0; i < Reputation.TRUST_AFTER - 1; i++) {
            r = r.onValid(1000);
        }
        assertThat(r.trusted()).isFalse();
        assertThat(r.standsAlone(0.99)).as("an untrusted runner is always replicated").isFalse();
        r = r.onValid(1000);
        assertThat(r.trusted()).isTrue();
        assertThat(r.spotCheckProbability()).isEqualTo(0.1);
        assertThat(r.standsAlone(0.05)).isFalse();
        assertThat(r.standsAlone(0.5)).isTrue();
        assertThat(r.creditMs()).isEqualTo(10_000);

        Reputation afterLie = r.onInvalid();
        assertThat(afterLie.consecutiveValid()).isZero();
        assertThat(afterLie.trusted()).isFalse();
        assertThat(afterLie.dailyQuota()).isEqualTo(r.dailyQuota() / 2);
        assertThat(afterLie.creditMs()).as("credit already earned stays").isEqualTo(r.creditMs());
        assertThat(r.onError().consecutiveValid()).isZero();
    }

    @Test
    void theDailyQuotaGrowsWithValidWorkAndShrinksWithErrors() {
        Reputation r = Reputation.fresh();
        assertThat(r.onValid(1).dailyQuota()).isGreaterThan(r.dailyQuota());
        assertThat(r.onError().dailyQuota()).isLessThan(r.dailyQuota());
        Reputation floor = r;
        for (int i = 0; i < 20; i++) {
            floor = floor.onInvalid();
        }
        assertThat(floor.dailyQuota()).isEqualTo(Reputation.MIN_QUOTA);
        long now = 1_700_000_000_000L;
        assertThat(r.quotaRefusal(r.dailyQuota() - 1, now)).isEmpty();
        assertThat(r.quotaRefusal(r.dailyQuota(), now)).hasValueSatisfying(reason ->
                assertThat(reason).contains("daily quota reached").contains("00:00 UTC"));
    }

    @Test
    void aKeyWhoseLeasesKeepRunningOutSoonLeasesLittle() {
        Reputation r = Reputation.fresh();
        for (int i = 0; i < 5; i++) {
            r = r.onLeaseExpired();
        }
        assertThat(r.dailyQuota()).isEqualTo(Math.max(Reputation.MIN_QUOTA, Reputation.INITIAL_QUOTA >> 5));
        assertThat(r.errors()).isEqualTo(5);
        assertThat(r.quotaRefusal(r.dailyQuota(), 0)).isPresent();
        Reputation trusted = Reputation.fresh();
        for (int i = 0; i < Reputation.TRUST_AFTER; i++) {
            trusted = trusted.onValid(1000);
        }
        assertThat(trusted.onLeaseExpired().trusted()).as("its run of valid results starts over").isFalse();
    }

    @Test
    void aProposerWhoseCommitsCrashIsRefusedForAWhile() {
        ProposerThrottle.Record r = ProposerThrottle.Record.empty().onOk();
        long now = 1_000_000;
        for (int i = 0; i < ProposerThrottle.CRASH_LIMIT; i++) {
            assertThat(ProposerThrottle.refusal(r, now)).isEmpty();
            r = r.onCrash(now);
        }
        assertThat(ProposerThrottle.refusal(r, now + 1000)).hasValueSatisfying(reason ->
                assertThat(reason).contains("throttled").contains("3 failures"));
        assertThat(ProposerThrottle.refusal(r, now + ProposerThrottle.COOL_DOWN.toMillis())).isEmpty();
    }
}
