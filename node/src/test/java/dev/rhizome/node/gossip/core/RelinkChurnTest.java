package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which addresses' relinks rest them: a loop does, a flaky path, a reconnect and NAT mates do not. On virtual time. */
class RelinkChurnTest {
    final RelinkChurn churn = new RelinkChurn();
    final Set<PublicId> linked = new HashSet<>();
    long now = 1_000_000;

    @Test
    void aPeerRelinkingEverySecondRestsAtItsThirteenthLinkUnderOneKeyOrFreshKeys() {
        PublicId one = Identity.generate().publicId();
        int restedAt = -1;
        for (int i = 1; i <= 30 && restedAt < 0; i++) {
            now += 1_000;
            if (churn.linkedIn("203.0.113.5", one, now, linked::contains)) {
                restedAt = i;
            }
        }
        assertThat(restedAt).as("one key").isEqualTo(RelinkChurn.MAX_CHURNED + 1);

        restedAt = -1;
        for (int i = 1; i <= 30 && restedAt < 0; i++) {
            now += 1_000;
            if (churn.linkedIn("203.0.113.6", Identity.generate().publicId(), now, linked::contains)) {
                restedAt = i;
            }
        }
        assertThat(restedAt).as("a fresh key each time").isEqualTo(RelinkChurn.MAX_CHURNED + 1);
    }

    @Test
    void aFlakyPathRelinkingThreeTimesAMinuteForAnHourAndNatMatesWhoseLinksStayUpNeverRest() {
        PublicId flaky = Identity.generate().publicId();
        for (int i = 0; i < 180; i++) {
            now += 20_000;
            assertThat(churn.linkedIn("198.51.100.7", flaky, now, linked::contains)).as("relink %d", i).isFalse();
        }
        for (int i = 0; i < 100; i++) {
            PublicId mate = Identity.generate().publicId();
            now += 100;
            assertThat(churn.linkedIn("198.51.100.8", mate, now, linked::contains)).as("NAT mate %d", i).isFalse();
            linked.add(mate);
        }
    }

    @Test
    void whatIsCountedIsBounded() {
        for (int i = 0; i < 2 * RelinkChurn.MAX_ADDRESSES; i++) {
            now += 10;
            churn.linkedIn("10.0." + (i >> 8) + "." + (i & 255), Identity.generate().publicId(), now, linked::contains);
        }
        assertThat(churn.size()).isEqualTo(RelinkChurn.MAX_ADDRESSES);
    }

    /**
     * A rogue that takes our hello (a verification and a signature) and never proves its key never
     * linked, so it was never counted: bounded only by the handshake turns. Abandoned handshakes churn.
     */
    @Test
    void anAddressAbandoningHandshakesAfterOurHelloRestsAtItsThirteenth() {
        int restedAt = -1;
        for (int i = 1; i <= 30 && restedAt < 0; i++) {
            now += 1_000;
            if (churn.abandoned("203.0.113.9", now)) {
                restedAt = i;
            }
        }
        assertThat(restedAt).isEqualTo(RelinkChurn.MAX_CHURNED + 1);
    }

    /**
     * A rogue with 200 addresses of one /24, each relinking under fresh keys or abandoning its
     * handshakes: each address churned 12 before its rest. Counted by network too, once the /24 has
     * churned past its bound, each address rests at its own second churned handshake.
     */
    @Test
    void aRogueWithManyAddressesOfOneNetworkRestsOnceTheNetworkChurnedPastItsBound() {
        int handshakes = 0;
        int rests = 0;
        for (int round = 0; round < 12; round++) {
            for (int a = 1; a <= 200; a++) {
                now += 50;
                handshakes++;
                boolean rested = round % 2 == 0
                        ? churn.linkedIn("198.18.7." + a, Identity.generate().publicId(), now, linked::contains)
                        : churn.abandoned("198.18.7." + a, now);
                if (rested) {
                    rests++;
                }
            }
        }
        // Every address rests from its second round on, once the network passed its bound in the first.
        assertThat(rests).isGreaterThanOrEqualTo(11 * 200);

        // IPv6: /64s of one /48 as one network, as the coordinator counts a site.
        int v6Rests = 0;
        for (int round = 0; round < 2; round++) {
            for (int a = 0; a < 100; a++) {
                now += 50;
                if (churn.abandoned(String.format("v6:20010db80007%04x::/64", a), now)) {
                    v6Rests++;
                }
            }
        }
        assertThat(v6Rests).isGreaterThanOrEqualTo(100);
        assertThat(handshakes).isEqualTo(2_400);
    }

    /** Many honest nodes of one /24 (a campus, a cloud region) whose links stay up, and a few flaky paths among them, never rest. */
    @Test
    void oneHundredNodesOfOneNetworkWithLinksThatStayUpAndThreeFlakyPathsAmongThemNeverRest() {
        for (int i = 0; i < 100; i++) {
            PublicId node = Identity.generate().publicId();
            now += 100;
            assertThat(churn.linkedIn("192.0.2." + (i + 1), node, now, linked::contains)).as("node %d", i).isFalse();
            linked.add(node);
        }
        List<PublicId> flaky = List.of(Identity.generate().publicId(), Identity.generate().publicId(),
                Identity.generate().publicId());
        for (int i = 0; i < 180; i++) {
            now += 20_000 / flaky.size();
            int f = i % flaky.size();
            assertThat(churn.linkedIn("192.0.2." + (200 + f), flaky.get(f), now, linked::contains)).as("relink %d", i).isFalse();
        }
    }

    @Test
    void networksAreTheCoordinatorsSites() {
        assertThat(RelinkChurn.network("203.0.113.77")).isEqualTo("203.0.113.0/24");
        assertThat(RelinkChurn.network("v6:20010db8000700ff::/64")).isEqualTo("v6:20010db80007::/48");
        assertThat(RelinkChurn.network("loopback")).isEqualTo("loopback");
    }
}
