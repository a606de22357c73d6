package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.WorkUnit;
import org.junit.jupiter.api.Test;

class AttemptCapTest {
    private static final String COMMIT = "a".repeat(40);

    private static UnitRecord evaluation() {
        return UnitRecord.open("u1", WorkUnit.Kind.EVALUATE, "seed", "dir", COMMIT, "b".repeat(40),
                ByteString.copyFromUtf8("proposer"), 0);
    }

    private static UnitRecord expiredTimes(UnitRecord unit, int n) {
        for (int i = 0; i < n; i++) {
            unit = unit.leasedTo(ByteString.copyFromUtf8("node" + i), 10).expired();
        }
        return unit;
    }

    @Test
    void aUnitIsReissuedUntilItHasFailedTheMostAttemptsAllowed() {
        UnitRecord unit = evaluation();
        for (int reports = 0; reports < AttemptCap.MAX_FAILED_ATTEMPTS; reports++) {
            assertThat(AttemptCap.giveUp(unit, reports, true)).as("%d unfetchable reports", reports).isEmpty();
        }
        assertThat(AttemptCap.giveUp(unit, AttemptCap.MAX_FAILED_ATTEMPTS, true)).hasValueSatisfying(why -> assertThat(why)
                .contains("u1").contains("3 failed attempts").contains("3 unfetchable report(s)"));
    }

    @Test
    void expiredLeasesAndUnfetchableReportsCountTogether() {
        assertThat(AttemptCap.giveUp(expiredTimes(evaluation(), 2), 0, true)).isEmpty();
        assertThat(AttemptCap.giveUp(expiredTimes(evaluation(), 3), 0, true)).isPresent();
        assertThat(AttemptCap.giveUp(expiredTimes(evaluation(), 1), 1, true)).isEmpty();
        assertThat(AttemptCap.giveUp(expiredTimes(evaluation(), 2), 1, true)).hasValueSatisfying(why -> assertThat(why)
                .contains("1 unfetchable report(s), 2 expired lease(s)"));
    }

    @Test
    void aDirectionsBaseOrFrontierIsNeverGivenUp() {
        assertThat(AttemptCap.giveUp(expiredTimes(evaluation(), 10), 10, false)).isEmpty();
    }

    @Test
    void explorationsAreNeverGivenUpHere() {
        UnitRecord explore = UnitRecord.open("x1", WorkUnit.Kind.EXPLORE, "seed", "dir", COMMIT, "", ByteString.EMPTY, 0);
        assertThat(AttemptCap.giveUp(expiredTimes(explore, 5), 0, true)).isEmpty();
    }

    @Test
    void aProposerWhoseExperimentsAreGivenUpIsThrottledLikeOneWhoseCodeCrashes() {
        ProposerThrottle.Record record = ProposerThrottle.Record.empty();
        long now = 1_000_000;
        for (int i = 0; i < ProposerThrottle.CRASH_LIMIT - 1; i++) {
            record = record.onUnfetchable(now);
            assertThat(ProposerThrottle.refusal(record, now)).isEmpty();
        }
        record = record.onUnfetchable(now);
        assertThat(ProposerThrottle.refusal(record, now)).hasValueSatisfying(why -> assertThat(why)
                .contains("proposer throttled").contains("unfetchable"));
        assertThat(ProposerThrottle.refusal(record, now + ProposerThrottle.COOL_DOWN.toMillis())).isEmpty();
    }
}
