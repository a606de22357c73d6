package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.ComparisonClasses.Seen;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which decided class may set a direction's comparison class: networks of standing behind it, as the spot-check draw counts them. */
class ComparisonClassesTest {
    private static final String REAL = "cpu:x86_64";
    private static final String MADE_UP = "cpu:made-up";

    @Test
    void aClassWithFewerNetworksOfStandingThanAnotherIsNotEstablished() {
        List<Seen> seen = List.of(new Seen(REAL, "84.17.46.0/24", 2), new Seen(REAL, "84.17.47.0/24", 1),
                new Seen(REAL, "84.17.48.0/24", 1), new Seen(MADE_UP, "81.2.69.0/24", 1),
                new Seen(MADE_UP, "81.2.70.0/24", 1));
        assertThat(ComparisonClasses.established(MADE_UP, seen)).isFalse();
        assertThat(ComparisonClasses.established(REAL, seen)).isTrue();
        assertThat(ComparisonClasses.established("cpu:nobody-announced", seen)).isFalse();
    }

    @Test
    void manyKeysOnOneNetworkAreOneNetwork() {
        List<Seen> seen = List.of(new Seen(MADE_UP, "81.2.69.0/24", 50), new Seen(REAL, "84.17.46.0/24", 1),
                new Seen(REAL, "84.17.47.0/24", 1));
        assertThat(ComparisonClasses.established(MADE_UP, seen)).isFalse();
    }

    @Test
    void nodesOfNoKnownNetworkCountOneEach() {
        List<Seen> seen = List.of(new Seen(REAL, "", 3), new Seen(MADE_UP, "81.2.69.0/24", 1),
                new Seen(MADE_UP, "81.2.70.0/24", 1));
        assertThat(ComparisonClasses.established(REAL, seen)).isTrue();
        assertThat(ComparisonClasses.established(MADE_UP, seen)).isFalse();
    }

    @Test
    void equallyBackedClassesAreBothEstablishedAndAYoungNetworkHoldsNoneBack() {
        List<Seen> seen = List.of(new Seen(REAL, "84.17.46.0/24", 1), new Seen("cpu:aarch64", "84.17.47.0/24", 1));
        assertThat(ComparisonClasses.established(REAL, seen)).isTrue();
        assertThat(ComparisonClasses.established("cpu:aarch64", seen)).isTrue();
        assertThat(ComparisonClasses.established(MADE_UP, List.of())).as("nobody with standing seen").isTrue();
    }

    @Test
    void aClassThatFitsOthersBacksThemAllAlike() {
        // a node announcing "cpu" backs every cpu:... class: it weighs on no side
        List<Seen> seen = List.of(new Seen("cpu", "84.17.46.0/24", 1), new Seen("cpu", "84.17.47.0/24", 1),
                new Seen(REAL, "84.17.48.0/24", 1));
        assertThat(ComparisonClasses.established(REAL, seen)).isTrue();
        assertThat(ComparisonClasses.established(MADE_UP, seen)).as("two networks behind it, three behind " + REAL)
                .isFalse();
    }
}
