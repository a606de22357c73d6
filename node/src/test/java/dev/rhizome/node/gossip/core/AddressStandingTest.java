package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.PeerAddress.Reach;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import org.junit.jupiter.api.Test;

/** Bans weigh on the next keys from their place, on virtual time, and wear off. */
class AddressStandingTest {
    static final LinkEnd ROGUE = new LinkEnd("198.51.100.7", Reach.GLOBAL);
    static final LinkEnd NAT_NEIGHBOUR = new LinkEnd("198.51.100.200", Reach.GLOBAL);
    static final LinkEnd ELSEWHERE = new LinkEnd("198.51.101.7", Reach.GLOBAL);
    static final long MINUTE = 60_000;

    @Test
    void freshKeysFromAPlaceThatProducedBansAreCutSoonerAndTheWeightWearsOff() {
        PeerScores scores = new PeerScores(GossipConfig.defaults());
        long now = 1_000_000;
        int[] forgeries = new int[6];
        for (int k = 0; k < forgeries.length; k++) {
            PublicId fresh = Identity.generate().publicId();
            while (scores.penalise(fresh, Penalty.BAD_SIGNATURE, ROGUE, now) == PeerScores.Verdict.KEEP) {
                forgeries[k]++;
                now += 1_000;
            }
            forgeries[k]++;
            now += 1_000;
        }
        assertThat(forgeries).containsExactly(4, 2, 2, 1, 1, 1);

        // A key of the same /24 that commits nothing keeps score 0; one of another /24 pays as before.
        PublicId neighbour = Identity.generate().publicId();
        assertThat(scores.score(neighbour, now)).isZero();
        assertThat(scores.isWelcome(neighbour, now)).isTrue();
        PublicId elsewhere = Identity.generate().publicId();
        assertThat(scores.penalise(elsewhere, Penalty.BAD_SIGNATURE, ELSEWHERE, now)).isEqualTo(PeerScores.Verdict.KEEP);
        assertThat(scores.score(elsewhere, now)).isEqualTo(-8.0);

        // Not for ever: an hour and a half after the last of 6 bans a neighbour's honest mistake costs about what it costs anyone.
        now += 90 * MINUTE;
        PublicId later = Identity.generate().publicId();
        scores.penalise(later, Penalty.FALSE_CLAIM, NAT_NEIGHBOUR, now);
        assertThat(scores.score(later, now)).isBetween(-4.2, -4.0);
    }

    @Test
    void aPlaceIsAnIpv4Slash24OrTheDriversKey() {
        assertThat(AddressStanding.place(ROGUE)).isEqualTo(AddressStanding.place(NAT_NEIGHBOUR)).isEqualTo("198.51.100.0/24");
        assertThat(AddressStanding.place(ELSEWHERE)).isEqualTo("198.51.101.0/24");
        assertThat(AddressStanding.place(new LinkEnd("v6:20010db800000001", Reach.GLOBAL))).isEqualTo("v6:20010db800000001");
        assertThat(AddressStanding.place(LinkEnd.LOOPBACK)).isEqualTo("loopback");
    }

    @Test
    void decayedPlacesAreForgottenAndTheirNumberIsBounded() {
        AddressStanding standing = new AddressStanding();
        long now = 0;
        for (int i = 0; i < AddressStanding.MAX_PLACES + 10; i++) {
            standing.banned(new LinkEnd("10." + (i >> 8 & 255) + "." + (i & 255) + ".1", Reach.PRIVATE), now);
        }
        assertThat(standing.size()).isLessThanOrEqualTo(AddressStanding.MAX_PLACES + 1);
        standing.sweep(now + 3 * 60 * MINUTE);
        assertThat(standing.size()).isZero();
        assertThat(standing.factor(ROGUE, now)).isEqualTo(1.0);
    }
}
