package dev.rhizome.coordinator.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The accounting alone: who is refused at which bound, and what is forgotten. */
class ByteSharesTest {
    @Test
    void aPieceIsTakenUnlessItWouldPassTheAddressTheNetworkOrTheTotal() {
        // 1,600 in all: a network 400, an address 100
        ByteShares shares = new ByteShares("bytes", 1_600, 400, 100);
        assertThat(shares.take("10.0.0.1", 100)).isNull();
        assertThat(shares.take("10.0.0.1", 1)).isEqualTo(ByteShares.Bound.ADDRESS);
        assertThat(shares.take("10.0.0.2", 100)).isNull();
        assertThat(shares.take("10.0.0.3", 100)).isNull();
        assertThat(shares.take("10.0.0.4", 100)).isNull();
        assertThat(shares.take("10.0.0.5", 1)).as("its network holds 400").isEqualTo(ByteShares.Bound.NETWORK);
        for (int n = 1; n <= 11; n++) {
            assertThat(shares.take("10.0." + n + ".1", 100)).isNull();
        }
        assertThat(shares.held()).isEqualTo(1_500);
        assertThat(shares.take("10.0.99.1", 100)).isNull();
        assertThat(shares.held()).isEqualTo(1_600);
        assertThat(shares.take("10.0.98.1", 1)).as("a network and address holding nothing").isEqualTo(ByteShares.Bound.TOTAL);
        shares.release("10.0.0.1", 100);
        assertThat(shares.take("10.0.98.1", 100)).as("given back, taken again").isNull();
    }

    @Test
    void aReplyStartsOnlyBelowEveryBoundAndMayPassItOnce() {
        ByteShares shares = new ByteShares("bytes", 1_000, 500, 100);
        assertThat(shares.full("2001:db8:0:1::/64")).isNull();
        shares.add("2001:db8:0:1::/64", 5_000);  // built before its size was known
        assertThat(shares.full("2001:db8:0:1::/64")).isEqualTo(ByteShares.Bound.ADDRESS);
        assertThat(shares.full("2001:db8:0:2::/64")).as("another /64 of the same /48").isEqualTo(ByteShares.Bound.NETWORK);
        assertThat(shares.full("2001:db8:1:1::/64")).as("another /48").isEqualTo(ByteShares.Bound.TOTAL);
        shares.release("2001:db8:0:1::/64", 5_000);
        assertThat(shares.full("2001:db8:0:2::/64")).isNull();
        assertThat(shares.holders()).as("a holder at nothing is forgotten").isZero();
    }

    @Test
    void aShareIsNeverSmallerThanOneWholeRequestNorLargerThanTheTotal() {
        ByteShares bodies = ByteShares.bodies(2 << 20, 1 << 20);  // an eighth would be 256 KiB
        assertThat(bodies.take("10.0.0.1", 1 << 20)).as("one largest body fits its address's share").isNull();
        // A budget smaller than one body: the shares are the whole of it, and a refusal names the total.
        ByteShares tiny = ByteShares.bodies(1_000, 1 << 20);
        assertThat(tiny.take("10.0.0.1", 1_001)).isEqualTo(ByteShares.Bound.TOTAL);
        assertThat(tiny.take("10.0.0.1", 1_000)).isNull();
        assertThat(tiny.take("10.0.0.1", 1)).isEqualTo(ByteShares.Bound.TOTAL);
        assertThat(tiny.refusal(ByteShares.Bound.TOTAL)).contains("holds its most").contains("1000 bytes in all");
    }
}
