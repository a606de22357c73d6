package dev.rhizome.node.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link PrunePlan} on made-up histories: which commits go, in which order. */
class PrunePlanTest {
    //  root <- a <- b <- c        (a chain of relay-only commits, c the newest)
    //  root <- k                  (kept for a neighbour, the oldest of all)
    //  root <- w                  (the work wants it)
    //  a <- o                     (made here, on a)
    static final Map<String, List<String>> PARENTS = Map.of(
            "root", List.of(), "a", List.of("root"), "b", List.of("a"), "c", List.of("b"),
            "k", List.of("root"), "w", List.of("root"), "o", List.of("a"), "x", List.of("b"));
    static final Map<String, Long> SINCE = Map.of(
            "k", 1L, "root", 2L, "a", 3L, "b", 4L, "x", 5L, "c", 6L, "w", 7L, "o", 8L);

    @Test
    void childrenGoBeforeTheirParentsAndRelayOnlyBeforeKeptAndNeverOwnWantedOrTheirAncestors() {
        PrunePlan plan = new PrunePlan(PARENTS, SINCE, Set.of("w", "o"), Set.of("k"));

        List<String> all = plan.drop(Long.MAX_VALUE, c -> 1);

        // b goes only once its children x (older) and c are gone; a and root stay under o and w.
        assertThat(all).containsExactly("x", "c", "b", "k");
    }

    @Test
    void itStopsOnceTheBytesGivenUpReachTheExcess() {
        PrunePlan plan = new PrunePlan(PARENTS, SINCE, Set.of("w", "o"), Set.of("k"));

        assertThat(plan.drop(150, c -> 100)).containsExactly("x", "c");
        assertThat(plan.drop(0, c -> 100)).isEmpty();
    }

    @Test
    void aKeptCommitsAncestorsWaitForTheKeptRound() {
        Map<String, List<String>> parents = Map.of("p", List.of(), "k", List.of("p"), "r", List.of());
        Map<String, Long> since = Map.of("p", 1L, "k", 2L, "r", 3L);

        assertThat(new PrunePlan(parents, since, Set.of(), Set.of("k")).drop(Long.MAX_VALUE, c -> 1))
                .containsExactly("r", "k", "p");
    }
}
