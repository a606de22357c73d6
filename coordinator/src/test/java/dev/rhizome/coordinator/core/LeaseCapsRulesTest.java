package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link LeaseCaps#refusal}: which bound a claim meets, and when none applies. */
class LeaseCapsRulesTest {
    private final LeaseCaps.Limits limits = new LeaseCaps.Limits(3, 5);

    @Test
    void belowBothCapsNothingIsRefused() {
        assertThat(LeaseCaps.refusal(limits, new LeaseCaps.Held(2, 4), "81.2.69.5")).isEmpty();
    }

    @Test
    void theAddressIsNamedFirstThenTheNetwork() {
        assertThat(LeaseCaps.refusal(limits, new LeaseCaps.Held(3, 5), "81.2.69.5").orElseThrow().scope())
                .isEqualTo(LeaseCaps.Scope.ADDRESS);
        LeaseCaps.Refusal network = LeaseCaps.refusal(limits, new LeaseCaps.Held(0, 5), "81.2.69.5").orElseThrow();
        assertThat(network.scope()).isEqualTo(LeaseCaps.Scope.NETWORK);
        assertThat(network.reason()).contains("81.2.69.0/24").contains("5 leases, at most 5");
    }

    @Test
    void noAddressOrNoBoundHoldsNothingBack() {
        assertThat(LeaseCaps.refusal(limits, new LeaseCaps.Held(99, 99), "")).isEmpty();
        assertThat(LeaseCaps.refusal(LeaseCaps.Limits.none(), new LeaseCaps.Held(99, 99), "81.2.69.5")).isEmpty();
        assertThat(LeaseCaps.refusal(new LeaseCaps.Limits(0, 5), new LeaseCaps.Held(99, 4), "81.2.69.5")).isEmpty();
    }

    @Test
    void aNegativeBoundIsRefused() {
        assertThatThrownBy(() -> new LeaseCaps.Limits(-1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0: no bound");
    }

    /** The claims of a network that may run at once pass no bound only where all of them fit under every bound set. */
    @Test
    void roomForAllNeedsEveryClaimInFlightUnderEveryBound() {
        LeaseCaps.Limits limits = new LeaseCaps.Limits(12, 20);
        assertThat(LeaseCaps.roomForAll(limits, new LeaseCaps.Held(4, 12), 8)).as("12 and 20 reached at most").isTrue();
        assertThat(LeaseCaps.roomForAll(limits, new LeaseCaps.Held(5, 0), 8)).as("the address would pass 12").isFalse();
        assertThat(LeaseCaps.roomForAll(limits, new LeaseCaps.Held(0, 13), 8)).as("the network would pass 20").isFalse();
        assertThat(LeaseCaps.roomForAll(new LeaseCaps.Limits(0, 20), new LeaseCaps.Held(1_000, 12), 8))
                .as("no bound per address").isTrue();
        assertThat(LeaseCaps.roomForAll(LeaseCaps.Limits.none(), new LeaseCaps.Held(Integer.MAX_VALUE, Integer.MAX_VALUE), 8))
                .isTrue();
        assertThat(LeaseCaps.roomForAll(new LeaseCaps.Limits(Integer.MAX_VALUE, 0), new LeaseCaps.Held(Integer.MAX_VALUE - 1, 0), 8))
                .as("no overflow near the largest bound").isFalse();
    }
}
