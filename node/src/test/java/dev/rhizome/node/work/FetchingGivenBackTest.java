package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** What a node's claims name as still fetched for units it gave back. */
class FetchingGivenBackTest {
    private static final String A = "aa".repeat(20);
    private static final String B = "bb".repeat(20);

    @Test
    void aCommitIsNamedUntilEveryFetchOfItForAGiveBackEnded() {
        FetchingGivenBack fetching = new FetchingGivenBack();
        fetching.started(A);
        fetching.started(A);  // two slots gave back units of one commit
        fetching.started(B);
        assertThat(fetching.commits()).containsExactly(A, B);
        fetching.ended(A);
        assertThat(fetching.holds(A)).as("one slot still fetches it").isTrue();
        fetching.ended(A);
        assertThat(fetching.holds(A)).isFalse();
        assertThat(fetching.commits()).containsExactly(B);
        fetching.ended(A);  // an end without a start changes nothing
        assertThat(fetching.commits()).containsExactly(B);
    }

    @Test
    void aClaimNamesNoMoreThanTheCoordinatorTakes() {
        FetchingGivenBack fetching = new FetchingGivenBack();
        IntStream.range(0, FetchingGivenBack.MAX + 5).forEach(i -> fetching.started(String.format("%040x", i)));
        assertThat(fetching.commits()).hasSize(FetchingGivenBack.MAX);
    }
}
