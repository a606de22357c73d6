package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
