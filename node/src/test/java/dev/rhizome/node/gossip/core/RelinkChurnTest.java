package dev.rhizome.node.gossip.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.util.HashSet;
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
}
