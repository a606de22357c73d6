package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SimilarityTest {
    @Test
    void tokensIgnoreCasePunctuationAndStopWordsButKeepNumbers() {
        assertThat(Similarity.tokens("Lower the learning-rate to 0.002, with warmup."))
                .isEqualTo(Set.of("lower", "learning", "rate", "0.002", "warmup"));
    }

    @Test
    void jaccardIsTheSharedFractionOfTheUnion() {
        assertThat(Similarity.jaccard(Set.of("a", "b", "c"), Set.of("b", "c", "d"))).isEqualTo(0.5);
        assertThat(Similarity.jaccard(Set.of(), Set.of())).isZero();
    }

    @Test
    void nearDuplicatesAreThoseAtTheThresholdMostSimilarFirst() {
        Similarity.Text same = new Similarity.Text("hypothesis", "lower learning rate to 0.002", "", 1);
        Similarity.Text close = new Similarity.Text("experiment", "learning rate 0.002 with warmup", "c", 2);
        Similarity.Text far = new Similarity.Text("experiment", "double the embedding width", "d", 3);
        List<Similarity.Match> matches = Similarity.nearDuplicates("Lower the learning rate to 0.002",
                List.of(far, close, same), 5);
        assertThat(matches).extracting(Similarity.Match::text).containsExactly(same, close);
        assertThat(matches.get(0).similarity()).isEqualTo(1.0);
        assertThat(Similarity.nearDuplicates("   ", List.of(same), 5)).isEmpty();
    }
}
