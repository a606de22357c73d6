package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;

class StarvedGiveBacksTest {
    private static ByteString key(int n) {
        return ByteString.copyFrom(new byte[] {(byte) n});
    }

    @Test
    void aNetworkCountsOnceWhateverItsKeysAndALeaseOfNoNetworkCountsByItsKey() {
        assertThat(StarvedGiveBacks.networks(List.of())).isZero();
        assertThat(StarvedGiveBacks.networks(List.of(new StarvedGiveBacks.GivenBack("81.2.69.0/24", key(1)),
                new StarvedGiveBacks.GivenBack("81.2.69.0/24", key(2)), new StarvedGiveBacks.GivenBack("81.2.69.0/24", key(3)))))
                .as("one network, three keys").isEqualTo(1);
        assertThat(StarvedGiveBacks.networks(List.of(new StarvedGiveBacks.GivenBack("81.2.69.0/24", key(1)),
                new StarvedGiveBacks.GivenBack("84.17.46.0/24", key(1)), new StarvedGiveBacks.GivenBack("", key(1)),
                new StarvedGiveBacks.GivenBack("", key(2)), new StarvedGiveBacks.GivenBack("", key(2)))))
                .as("two networks, and two keys of none").isEqualTo(4);
    }

    @Test
    void aCoreToSpareFromTheSecondNetworkAndChargedFromTheThird() {
        assertThat(StarvedGiveBacks.offered(StarvedGiveBacks.SPARE_CORE_AFTER - 1, false)).isTrue();
        assertThat(StarvedGiveBacks.offered(StarvedGiveBacks.SPARE_CORE_AFTER, false)).isFalse();
        assertThat(StarvedGiveBacks.offered(StarvedGiveBacks.SPARE_CORE_AFTER, true)).isTrue();
        assertThat(StarvedGiveBacks.offered(StarvedGiveBacks.CHARGE_AFTER + 5, true)).isTrue();
        assertThat(StarvedGiveBacks.charged(StarvedGiveBacks.CHARGE_AFTER - 1)).isFalse();
        assertThat(StarvedGiveBacks.charged(StarvedGiveBacks.CHARGE_AFTER)).isTrue();
        assertThat(StarvedGiveBacks.SPARE_CORE_AFTER).isLessThan(StarvedGiveBacks.CHARGE_AFTER);
    }
}
