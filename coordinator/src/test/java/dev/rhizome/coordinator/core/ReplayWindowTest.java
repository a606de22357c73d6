package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class ReplayWindowTest {
    private static final long NOW = 1_700_000_000_000L;
    private static final long WINDOW = ReplayWindow.WINDOW.toMillis();

    @Test
    void timesThatWouldOverflowASubtractionAreOutsideTheWindow() {
        for (long time : new long[] {Long.MIN_VALUE, Long.MIN_VALUE + 1, NOW - Long.MAX_VALUE, NOW + Long.MIN_VALUE,
            Long.MAX_VALUE, NOW - Long.MAX_VALUE - 1000}) {
            assertThat(ReplayWindow.within(time, NOW)).as("time %d", time).isFalse();
            assertThatThrownBy(() -> ReplayWindow.check("time_ms", time, NOW)).isInstanceOf(Rejection.class)
                    .hasMessageContaining("time_ms " + time);
        }
    }

    /**
     * Every pair of longs, the extremes above all, is refused with the exact distance in seconds and
     * which way it lies: Math.abs of a difference of Long.MIN_VALUE was negative, and an overflowed
     * one named no direction.
     */
    @Test
    void extremeTimesAreRefusedWithTheirExactDistanceAndDirection() {
        long[] values = {Long.MIN_VALUE, Long.MIN_VALUE + 1, -1, 0, 1, NOW, Long.MAX_VALUE - 1, Long.MAX_VALUE};
        for (long now : values) {
            for (long time : values) {
                if (ReplayWindow.within(time, now)) {
                    continue;
                }
                BigInteger gap = BigInteger.valueOf(time).subtract(BigInteger.valueOf(now));
                String seconds = gap.abs().divide(BigInteger.valueOf(1000)).toString();
                String way = gap.signum() > 0 ? " s ahead of the coordinator clock " : " s behind the coordinator clock ";
                assertThatThrownBy(() -> ReplayWindow.check("time_ms", time, now)).as("time %d, clock %d", time, now)
                        .isInstanceOf(Rejection.class)
                        .hasMessageContaining("time_ms " + time + " is " + seconds + way + now)
                        .hasMessageContaining("within " + WINDOW / 1000 + " s");
            }
        }
        assertThat(ReplayWindow.describeSkew(Long.MAX_VALUE, Long.MIN_VALUE)).isEqualTo("18446744073709551 s ahead of");
        assertThat(ReplayWindow.describeSkew(Long.MIN_VALUE, Long.MAX_VALUE)).isEqualTo("18446744073709551 s behind");
        assertThat(ReplayWindow.describeSkew(Long.MIN_VALUE, 0)).isEqualTo("9223372036854775 s behind");
    }

    @Test
    void theWindowIsInclusiveOnBothSides() {
        assertThat(ReplayWindow.within(NOW - WINDOW, NOW)).isTrue();
        assertThat(ReplayWindow.within(NOW + WINDOW, NOW)).isTrue();
        assertThat(ReplayWindow.within(NOW - WINDOW - 1, NOW)).isFalse();
        assertThat(ReplayWindow.within(NOW + WINDOW + 1, NOW)).isFalse();
    }

    @Test
    void saturatingArithmeticClampsInsteadOfWrapping() {
        assertThat(Saturating.plus(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(Saturating.plus(Long.MIN_VALUE, -1)).isEqualTo(Long.MIN_VALUE);
        assertThat(Saturating.minus(Long.MIN_VALUE, 1)).isEqualTo(Long.MIN_VALUE);
        assertThat(Saturating.minus(Long.MAX_VALUE, -1)).isEqualTo(Long.MAX_VALUE);
        assertThat(Saturating.minus(5, 7)).isEqualTo(-2);
        assertThat(Saturating.times(Long.MAX_VALUE / 2, 3)).isEqualTo(Long.MAX_VALUE);
        assertThat(Saturating.times(Long.MIN_VALUE / 2, 3)).isEqualTo(Long.MIN_VALUE);
        assertThat(Saturating.times(-4, 5)).isEqualTo(-20);
    }
}
