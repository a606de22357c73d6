package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StarvedGiveBacksTest {
    private static final long T = 1_700_000_000_000L;
    private static final long WAIT = StarvedGiveBacks.SPARE_CORE_WAIT.toMillis();

    private static StarvedGiveBacks.GivenBack from(String network, long ms) {
        return new StarvedGiveBacks.GivenBack(network, ms);
    }

    @Test
    void aNetworkCountsOnceWhateverItsKeysAndLoopbackIsOneNetwork() {
        assertThat(StarvedGiveBacks.of(List.of())).isEqualTo(StarvedGiveBacks.Standing.NONE);
        assertThat(StarvedGiveBacks.of(List.of(from("81.2.69.0/24", T), from("81.2.69.0/24", T + 1),
                from("81.2.69.0/24", T + 2))).networks()).as("one network, three keys").isEqualTo(1);
        // one machine running three nodes (three keys on loopback) is one machine
        assertThat(StarvedGiveBacks.of(List.of(from("", T), from("", T + 1), from("", T + 2))).networks())
                .as("three keys of the coordinator's own machine").isEqualTo(1);
        StarvedGiveBacks.Standing mixed = StarvedGiveBacks.of(List.of(from("81.2.69.0/24", T + 5),
                from("84.17.46.0/24", T + 9), from("", T + 1), from("", T + 2)));
        assertThat(mixed.networks()).as("two networks, and the machine of none").isEqualTo(3);
        assertThat(mixed.waitingSinceMs()).as("the give-back of the second network, whatever the order")
                .isEqualTo(T + 5);
    }

    @Test
    void aCoreToSpareFromTheSecondNetworkAndChargedFromTheThird() {
        StarvedGiveBacks.Standing one = new StarvedGiveBacks.Standing(StarvedGiveBacks.SPARE_CORE_AFTER - 1, T);
        StarvedGiveBacks.Standing two = new StarvedGiveBacks.Standing(StarvedGiveBacks.SPARE_CORE_AFTER, T);
        StarvedGiveBacks.Standing three = new StarvedGiveBacks.Standing(StarvedGiveBacks.CHARGE_AFTER, T);
        assertThat(one.offered(false, T)).isTrue();
        assertThat(one.waitsForACoreToSpare(T)).isFalse();
        assertThat(two.offered(false, T)).isFalse();
        assertThat(two.waitsForACoreToSpare(T)).isTrue();
        assertThat(two.offered(true, T)).isTrue();
        assertThat(two.charged(T)).isFalse();
        assertThat(three.charged(T)).isTrue();
        assertThat(three.offered(true, T)).isTrue();
        assertThat(three.offered(false, T)).as("a machine with a core to spare starved on it too: any claim").isTrue();
        assertThat(three.waitsForACoreToSpare(T)).isFalse();
        assertThat(StarvedGiveBacks.SPARE_CORE_AFTER).isLessThan(StarvedGiveBacks.CHARGE_AFTER);
    }

    @Test
    void aUnitThatWaitedOutItsSpareCoreIsOfferedToAnyClaimAndCharged() {
        StarvedGiveBacks.Standing two = new StarvedGiveBacks.Standing(StarvedGiveBacks.SPARE_CORE_AFTER, T);
        assertThat(two.waitsUntilMs()).isEqualTo(T + WAIT);
        assertThat(two.offered(false, T + WAIT - 1)).as("still waiting").isFalse();
        assertThat(two.charged(T + WAIT - 1)).isFalse();
        assertThat(two.offered(false, T + WAIT)).as("waited out: any claim").isTrue();
        assertThat(two.waitsForACoreToSpare(T + WAIT)).isFalse();
        assertThat(two.charged(T + WAIT)).as("and its lease is the commit's to time out").isTrue();
        // a unit given back starved from one network never waited: the bound neither opens nor charges it
        StarvedGiveBacks.Standing one = new StarvedGiveBacks.Standing(1, T);
        assertThat(one.charged(T + 10 * WAIT)).isFalse();
        assertThat(StarvedGiveBacks.Standing.NONE.charged(T)).isFalse();
        assertThat(new StarvedGiveBacks.Standing(StarvedGiveBacks.SPARE_CORE_AFTER, Long.MAX_VALUE - 5).waitsUntilMs())
                .as("saturates").isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void theWaitCountsFromTheGiveBackThatMadeItWaitHoweverManyComeAfter() {
        // Two networks take turns giving it back, each a little before the wait would end: the
        // wait used to restart at each, and the unit waited (charged or not) as long as they came.
        List<StarvedGiveBacks.GivenBack> backs = new java.util.ArrayList<>(List.of(from("81.2.69.0/24", T),
                from("84.17.46.0/24", T + 10)));
        for (int i = 1; i <= 5; i++) {
            backs.add(from(i % 2 == 0 ? "81.2.69.0/24" : "84.17.46.0/24", T + 10 + i * (WAIT - 60_000)));
            StarvedGiveBacks.Standing s = StarvedGiveBacks.of(backs);
            assertThat(s.networks()).isEqualTo(StarvedGiveBacks.SPARE_CORE_AFTER);
            assertThat(s.waitsUntilMs()).as("after %d more give-backs", i).isEqualTo(T + 10 + WAIT);
            assertThat(s.offered(false, T + 10 + WAIT)).as("any claim once the wait that began is over").isTrue();
            assertThat(s.charged(T + 10 + WAIT)).isTrue();
        }
        // listed in any order, the wait began with the second network's give-back
        List<StarvedGiveBacks.GivenBack> reversed = new java.util.ArrayList<>(backs);
        java.util.Collections.reverse(reversed);
        assertThat(StarvedGiveBacks.of(reversed)).isEqualTo(StarvedGiveBacks.of(backs));
        assertThat(StarvedGiveBacks.of(List.of(from("a", T), from("a", T + 50))).waitingSinceMs())
                .as("one network never waits").isZero();
    }

    @Test
    void fromTheThirdNetworkItWaitsNoMoreAndIsCharged() {
        StarvedGiveBacks.Standing three = StarvedGiveBacks.of(List.of(from("81.2.69.0/24", T),
                from("84.17.46.0/24", T + 10), from("91.198.174.0/24", T + 20)));
        assertThat(three.networks()).isEqualTo(StarvedGiveBacks.CHARGE_AFTER);
        assertThat(three.waitsForACoreToSpare(T + 20)).as("charged and still waiting, before round 37").isFalse();
        assertThat(three.offered(false, T + 20)).isTrue();
        assertThat(three.charged(T + 20)).isTrue();
        StarvedGiveBacks.Standing four = new StarvedGiveBacks.Standing(StarvedGiveBacks.CHARGE_AFTER + 1, T);
        assertThat(four.waitsForACoreToSpare(T)).isFalse();
        assertThat(four.charged(T)).isTrue();
    }
}
