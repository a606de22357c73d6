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
}
