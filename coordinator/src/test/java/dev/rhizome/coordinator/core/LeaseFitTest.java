package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.proto.v1.Manifest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A unit is kept off a claim whose measured run of its seed the lease, as it would be granted, does not cover. */
class LeaseFitTest {
    private static final Manifest TEN_MINUTES = Manifest.newBuilder().setTimeoutSeconds(600).build();

    @Test
    void aFixedLeaseShorterThanTheMeasuredRunAndItsMarginKeepsTheUnitOff() {
        Duration lease = new Leases(Duration.ofMinutes(2)).duration(TEN_MINUTES);
        LeaseFit.Shortfall s = LeaseFit.shortfall("tiny-lm", lease, Map.of("tiny-lm", 300_000L)).orElseThrow();
        assertThat(s.seed()).isEqualTo("tiny-lm");
        assertThat(s.expectedMs()).isEqualTo(300_000L);
        assertThat(s.leaseMs()).isEqualTo(120_000L);
        assertThat(s.describe()).contains("120 s").contains("300 s").contains("seed tiny-lm")
                .contains(LeaseFit.KEY);

        long justCovered = lease.minus(LeaseFit.MARGIN).toMillis();
        assertThat(LeaseFit.shortfall("tiny-lm", lease, Map.of("tiny-lm", justCovered))).as("the run and its margin fit")
                .isEmpty();
        assertThat(LeaseFit.shortfall("tiny-lm", lease, Map.of("tiny-lm", justCovered + 1))).isPresent();
    }

    @Test
    void theDefaultLeaseCoversAnyRunUpToTwiceTheTimeout() {
        Duration lease = new Leases(Duration.ZERO).duration(TEN_MINUTES);
        assertThat(LeaseFit.shortfall("tiny-lm", lease, Map.of("tiny-lm", 1_200_000L))).isEmpty();
    }

    @Test
    void aSeedNotMeasuredOrAClaimWithoutExpectationsIsJudgedAsBefore() {
        Duration lease = Duration.ofSeconds(30);
        assertThat(LeaseFit.shortfall("tiny-lm", lease, Map.of())).isEmpty();
        assertThat(LeaseFit.shortfall("tiny-lm", lease, Map.of("other", 3_600_000L))).isEmpty();
    }

    @Test
    void aUint64OverLongMaxIsLongerThanAnyLease() {
        // a uint64 field arrives in Java as a negative long past Long.MAX_VALUE
        assertThat(LeaseFit.shortfall("s", Duration.ofDays(365), Map.of("s", -1L))).isPresent();
    }

    @Test
    void aClaimNamingTooManySeedsOrABlankOneIsRefusedByName() {
        Map<String, Long> many = new HashMap<>();
        for (int i = 0; i <= LeaseFit.MAX_SEEDS; i++) {
            many.put("seed-" + i, 1L);
        }
        assertThatThrownBy(() -> LeaseFit.check(many)).isInstanceOf(Rejection.class).hasMessageContaining(LeaseFit.KEY)
                .hasMessageContaining("at most " + LeaseFit.MAX_SEEDS);
        assertThatThrownBy(() -> LeaseFit.check(Map.of(" ", 1L))).isInstanceOf(Rejection.class)
                .hasMessageContaining(LeaseFit.KEY);
        LeaseFit.check(Map.of("tiny-lm", 1L));
    }
}
