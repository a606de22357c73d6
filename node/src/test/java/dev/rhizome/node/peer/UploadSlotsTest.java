package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who gets an upload slot when all are taken, in virtual time. */
class UploadSlotsTest {
    static final UploadSlots.Holder NOBODY = upload -> { };

    final UploadSlots slots = new UploadSlots(4, 2, 10_000);

    static UploadSlots.Asker peer(int id, String address) {
        byte[] node = new byte[32];
        node[0] = (byte) id;
        return new UploadSlots.Asker(ByteString.copyFrom(node), address);
    }

    /** Fills every slot with uploads of {@code askers}, at {@code nowMs}; returns them in order. */
    List<UploadSlots.Upload> fill(long nowMs, UploadSlots.Asker... askers) {
        List<UploadSlots.Upload> out = new ArrayList<>();
        for (UploadSlots.Asker a : askers) {
            UploadSlots.Grant g = slots.acquire(a, NOBODY, nowMs);
            assertThat(g.busy()).isFalse();
            assertThat(g.preempted()).isNull();
            out.add(g.upload());
        }
        return out;
    }

    @Test
    void whileASlotIsFreeAnyoneGetsOneEvenPastItsShare() {
        UploadSlots.Asker rogue = peer(1, "10.0.0.1");
        fill(0, rogue, rogue, rogue, rogue);
        assertThat(slots.inUse()).isEqualTo(4);
        assertThat(slots.held(rogue)).isEqualTo(4);
    }

    @Test
    void aPeerOverItsShareLosesAnUploadToAnAskerUnderItsOwnAtOnce() {
        UploadSlots.Asker rogue = peer(1, "10.0.0.1");
        List<UploadSlots.Upload> held = fill(0, rogue, rogue, rogue, rogue);
        slots.sent(held.get(0), 50_000);
        slots.sent(held.get(1), 9_000);  // the slowest
        slots.sent(held.get(2), 50_000);
        slots.sent(held.get(3), 50_000);

        UploadSlots.Grant honest = slots.acquire(peer(2, "10.0.0.2"), NOBODY, 1_000);

        assertThat(honest.busy()).isFalse();
        assertThat(honest.preempted()).isSameAs(held.get(1));
        assertThat(slots.inUse()).isEqualTo(4);
        assertThat(slots.held(rogue)).isEqualTo(3);
        // The rogue asks again at once: it holds more than its share, so it hears BUSY.
        assertThat(slots.acquire(rogue, NOBODY, 1_001).busy()).isTrue();
        // Its ended upload's release, when its connection gets to it, frees nothing of anyone else's.
        slots.release(held.get(1));
        assertThat(slots.inUse()).isEqualTo(4);
    }

    @Test
    void theShareIsCountedByAddressSoInventedIdsDoNotHelp() {
        List<UploadSlots.Upload> held = fill(0, peer(1, "10.0.0.1"), peer(2, "10.0.0.1"), peer(3, "10.0.0.1"),
                peer(4, "10.0.0.1"));

        UploadSlots.Grant honest = slots.acquire(peer(9, "10.0.0.9"), NOBODY, 1);

        assertThat(honest.preempted()).isIn(held);
        // Down to three from that address, still over two: the next honest asker gets one too.
        assertThat(slots.acquire(peer(8, "10.0.0.8"), NOBODY, 2).preempted()).isIn(held);
        // At its share now, it keeps the rest until their tenure is up.
        assertThat(slots.acquire(peer(7, "10.0.0.7"), NOBODY, 3).busy()).isTrue();
    }

    @Test
    void theShareIsCountedByIdSoManyAddressesDoNotHelpOneId() {
        List<UploadSlots.Upload> held = fill(0, peer(1, "10.0.0.1"), peer(1, "10.0.0.2"), peer(1, "10.0.0.3"),
                peer(1, "10.0.0.4"));

        assertThat(slots.acquire(peer(9, "10.0.0.9"), NOBODY, 1).preempted()).isIn(held);
    }

    @Test
    void anAskerAtItsShareIsBusyAndTakesNothing() {
        UploadSlots.Asker rogue = peer(1, "10.0.0.1");
        UploadSlots.Asker honest = peer(2, "10.0.0.2");
        fill(0, rogue, rogue, honest, honest);

        assertThat(slots.acquire(honest, NOBODY, 60_000).busy()).isTrue();
        assertThat(slots.acquire(peer(3, "10.0.0.2"), NOBODY, 60_000).busy()).as("same address as a peer at its share").isTrue();
    }

    @Test
    void withinTheirSharesUploadsRotateOnlyAfterTheirTenureAndTheSlowestGoesFirst() {
        // Sybils on four addresses, one upload each: nobody over a share of two.
        List<UploadSlots.Upload> held = fill(0, peer(1, "10.0.0.1"), peer(2, "10.0.0.2"), peer(3, "10.0.0.3"),
                peer(4, "10.0.0.4"));
        UploadSlots.Asker honest = peer(9, "10.0.0.9");
        assertThat(slots.acquire(honest, NOBODY, 9_999).busy()).as("before any has held its slot 10 s").isTrue();
        slots.sent(held.get(0), 640_000);
        slots.sent(held.get(1), 70_000);  // just above the 6.4 KB/s floor
        slots.sent(held.get(2), 640_000);
        slots.sent(held.get(3), 640_000);

        UploadSlots.Grant g = slots.acquire(honest, NOBODY, 10_000);

        assertThat(g.preempted()).isSameAs(held.get(1));
        // The honest peer now holds one slot like everyone else: no further rotation in its favour.
        assertThat(slots.acquire(honest, NOBODY, 20_000).busy()).isTrue();
        // But a newcomer holding none takes the next slowest once its tenure is up; the honest upload,
        // 10 s old at t=20 s and fast, is not the one it ends, nor the one a third asker ends.
        slots.sent(g.upload(), 10_000_000);
        assertThat(slots.acquire(peer(8, "10.0.0.8"), NOBODY, 20_000).preempted()).isIn(held.get(0), held.get(2), held.get(3));
        UploadSlots.Grant third = slots.acquire(peer(7, "10.0.0.7"), NOBODY, 20_001);
        assertThat(third.preempted()).isNotSameAs(g.upload());
    }

    @Test
    void aReleasedSlotIsFreeForAnyone() {
        UploadSlots.Asker rogue = peer(1, "10.0.0.1");
        List<UploadSlots.Upload> held = fill(0, rogue, rogue, rogue, rogue);
        slots.release(held.get(0));
        slots.release(held.get(0));  // twice is once

        assertThat(slots.inUse()).isEqualTo(3);
        assertThat(slots.acquire(rogue, NOBODY, 1).preempted()).isNull();
        assertThat(slots.inUse()).isEqualTo(4);
    }

    @Test
    void theGrantNamesTheHolderToTell() {
        List<UploadSlots.Upload> told = new ArrayList<>();
        UploadSlots.Asker rogue = peer(1, "10.0.0.1");
        for (int i = 0; i < 4; i++) {
            slots.acquire(rogue, told::add, 0);
        }
        UploadSlots.Grant g = slots.acquire(peer(2, "10.0.0.2"), NOBODY, 1);
        g.preempted().holder().preempt(g.preempted());
        assertThat(told).containsExactly(g.preempted());
        assertThat(g.preempted().asker()).isEqualTo(rogue);
    }

    @Test
    void ipv6PeersAreCountedByTheirSlash64() throws Exception {
        assertThat(UploadSlots.addressKey(InetAddress.getByName("2001:db8:1:2::1")))
                .isEqualTo(UploadSlots.addressKey(InetAddress.getByName("2001:db8:1:2:ffff::9")))
                .isNotEqualTo(UploadSlots.addressKey(InetAddress.getByName("2001:db8:1:3::1")));
        assertThat(UploadSlots.addressKey(InetAddress.getByName("127.0.0.2"))).isEqualTo("127.0.0.2");
    }

    @Test
    void nonsenseLimitsAreRefused() {
        assertThatThrownBy(() -> new UploadSlots(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new UploadSlots(8, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBusyAnswerHintsWhenTheNextSlotShouldFreeFromHowLongUploadsHeldTheirsLately() {
        // Uploads lately held their slots 3 s each: four whole ones measured.
        for (int i = 0; i < 40; i++) {
            UploadSlots.Grant g = slots.acquire(peer(20, "10.0.0.20"), NOBODY, i * 10_000L);
            slots.completed(g.upload(), i * 10_000L + 3_000);
        }
        UploadSlots.Asker a = peer(1, "10.0.0.1");
        UploadSlots.Asker b = peer(2, "10.0.0.2");
        fill(1_000_000, a, a, b, b);

        UploadSlots.Grant busy = slots.acquire(a, NOBODY, 1_000_500);

        assertThat(busy.busy()).isTrue();
        // The uploads started 500 ms ago and last about 3 s: ask again in about 2.5 s, not at once, not in 30 s.
        assertThat(busy.retryAfterMs()).isBetween(2_000L, 3_000L);
    }

    @Test
    void anAskerUnderItsShareIsHintedTheRotationInItsFavourWhenThatComesFirst() {
        UploadSlots.Asker rogue = peer(1, "10.0.0.1");
        UploadSlots.Asker other = peer(2, "10.0.0.2");
        fill(0, rogue, rogue, other, other);

        // Peers of 2 slots each, none over its share, none past its 10 s tenure: BUSY for a newcomer.
        UploadSlots.Grant busy = slots.acquire(peer(3, "10.0.0.3"), NOBODY, 6_000);

        assertThat(busy.busy()).isTrue();
        assertThat(busy.retryAfterMs()).isEqualTo(4_000);
    }

    @Test
    void theHintStaysWithinItsBoundsWhateverTheUploadsHeld() {
        UploadSlots.Asker a = peer(1, "10.0.0.1");
        UploadSlots.Asker b = peer(2, "10.0.0.2");
        fill(0, a, a, b, b);
        // Long past every expected end: the floor, never zero or negative.
        assertThat(slots.acquire(a, NOBODY, 1_000_000).retryAfterMs()).isEqualTo(BundleBuilders.MIN_RETRY_MS);

        UploadSlots slow = new UploadSlots(1, 1, 10_000);
        for (int i = 0; i < 40; i++) {
            UploadSlots.Grant g = slow.acquire(peer(20, "10.0.0.20"), NOBODY, i * 1_000_000L);
            slow.completed(g.upload(), i * 1_000_000L + 900_000);  // 15 minutes an upload
        }
        slow.acquire(a, NOBODY, 50_000_000);
        assertThat(slow.acquire(a, NOBODY, 50_000_001).retryAfterMs()).isEqualTo(BundleBuilders.MAX_RETRY_MS);
    }
}
