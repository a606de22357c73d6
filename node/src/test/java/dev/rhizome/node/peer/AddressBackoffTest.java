package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class AddressBackoffTest {
    final AddressBackoff backoff = new AddressBackoff(() -> 0);

    @Test
    void eachOffenceWithinTheMemoryDoublesTheSpanUpToTheCapAndAQuietAddressStartsAgain() {
        long now = 1_000_000;
        assertThat(backoff.closedFor("192.0.2.1", now)).isZero();
        backoff.offence("192.0.2.1", now);
        assertThat(backoff.closedFor("192.0.2.1", now)).isEqualTo(AddressBackoff.BASE_MS);
        assertThat(backoff.closedFor("192.0.2.2", now)).as("another address").isZero();
        assertThat(backoff.closedFor("192.0.2.1", now + AddressBackoff.BASE_MS)).as("time-limited, not a ban").isZero();

        long span = AddressBackoff.BASE_MS;
        for (int i = 0; i < 10; i++) {
            now += span; // the peer comes back as soon as it may, and offends again
            backoff.offence("192.0.2.1", now);
            span = backoff.closedFor("192.0.2.1", now);
        }
        assertThat(span).isEqualTo(AddressBackoff.MAX_MS);

        now += AddressBackoff.FORGET_MS;
        assertThat(backoff.closedFor("192.0.2.1", now)).isZero();
        backoff.offence("192.0.2.1", now);
        assertThat(backoff.closedFor("192.0.2.1", now)).as("forgotten after a quiet spell").isEqualTo(AddressBackoff.BASE_MS);
    }

    /**
     * A flood's half-open handshakes reach their deadline together and each is reported: one rest
     * for the burst, not the longest, so an honest node sharing the address waits {@link
     * AddressBackoff#BASE_MS}. The next offence after the rest doubles it as before.
     */
    @Test
    void offencesWhileTheAddressRestsAreOneOffence() {
        long now = 1_000_000;
        for (int i = 0; i < 64; i++) {
            backoff.offence("127.0.0.1", now + i * 10);
        }
        assertThat(backoff.closedFor("127.0.0.1", now + 640)).isEqualTo(AddressBackoff.BASE_MS - 640);
        now += AddressBackoff.BASE_MS;
        assertThat(backoff.closedFor("127.0.0.1", now)).isZero();
        backoff.offence("127.0.0.1", now);
        assertThat(backoff.closedFor("127.0.0.1", now)).as("offending again after the rest").isEqualTo(2 * AddressBackoff.BASE_MS);
    }

    @Test
    void theMemoryIsBounded() {
        for (int i = 0; i < 3 * AddressBackoff.MAX_ADDRESSES; i++) {
            backoff.offence("v6:" + i + "::/64", 1_000);
        }
        assertThat(backoff.size()).isEqualTo(AddressBackoff.MAX_ADDRESSES);
    }

    @Test
    void anIpv6HostIsCountedByItsSlash64() throws Exception {
        AddressBackoff real = new AddressBackoff(() -> 1_000);
        real.offence(InetAddress.getByName("2001:db8:1:2::1"));
        assertThat(real.closedFor(InetAddress.getByName("2001:db8:1:2:ffff::9"))).isPositive();
        assertThat(real.closedFor(InetAddress.getByName("2001:db8:1:3::1"))).isZero();
    }
}
