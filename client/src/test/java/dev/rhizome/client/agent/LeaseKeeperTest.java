package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.cli.ExitCodes;
import org.junit.jupiter.api.Test;

class LeaseKeeperTest {
    @Test
    void aLeaseIsRenewedTwoThirdsOfTheWayButNeverWithinSecondsOfItsGrant() {
        assertThat(LeaseKeeper.renewAtMs(1_000_000, 1_270_000)).isEqualTo(1_180_000);
        assertThat(LeaseKeeper.renewAtMs(1_000_000, 1_003_000)).isEqualTo(1_000_000 + LeaseKeeper.MIN_WAIT_MS);
    }

    @Test
    void aFailureThatMayPassIsTriedAgainWhileTheLeaseLastsAndARefusalEndsIt() {
        long now = 1_000_000;
        // unreachable or busy, an I/O error here: again, every 10 s at most, sooner near the deadline
        assertThat(LeaseKeeper.retryInMs(ExitCodes.UNREACHABLE, now, now + 90_000)).isEqualTo(10_000);
        assertThat(LeaseKeeper.retryInMs(ExitCodes.FAILED, now, now + 8_000)).isEqualTo(2_000);
        assertThat(LeaseKeeper.retryInMs(ExitCodes.UNREACHABLE, now, now + 2_500)).isEqualTo(1_000);
        // too late to help, or a refusal no retry changes (expired, given back, another key's)
        assertThat(LeaseKeeper.retryInMs(ExitCodes.UNREACHABLE, now, now + 1_000)).isEqualTo(-1);
        assertThat(LeaseKeeper.retryInMs(ExitCodes.REFUSED, now, now + 90_000)).isEqualTo(-1);
        assertThat(LeaseKeeper.retryInMs(ExitCodes.USAGE, now, now + 90_000)).isEqualTo(-1);
    }
}
