package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.Similarity;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A claim's texts are tokenized once and kept ({@link KeptTokens}), and a kept text is never taken
 * for another: the same commit or unit with another text (another store's record in the same
 * process) is read afresh, and a text owned by nothing is never kept.
 */
class KeptTokensTest {
    private static final int ALL = Integer.MAX_VALUE;

    @Test
    void aTextIsReadOnceAndNeverTakenForAnother() {
        KeptTokens kept = new KeptTokens();
        String description = "raise the warmup to 400 steps and lower the learning rate";
        Similarity.Text experiment = new Similarity.Text("experiment", description, "c1", 1);
        Similarity.Tokens first = kept.of(experiment, ALL);
        assertThat(kept.of(new Similarity.Text("experiment", new String(description), "c1", 2), ALL))
                .as("the same commit's text, read again from the store").isSameAs(first);
        Similarity.Tokens other = kept.of(new Similarity.Text("experiment", "swap the optimizer for lion", "c1", 3), ALL);
        assertThat(other).isNotSameAs(first);
        assertThat(other.hashes()).isEqualTo(Similarity.hashed("swap the optimizer for lion").hashes());
        Similarity.Text hypothesis = new Similarity.Text("hypothesis", description, "", "unit-1", 4);
        assertThat(kept.of(hypothesis, ALL)).as("a hypothesis is kept by its unit").isSameAs(kept.of(hypothesis, ALL));
        Similarity.Text owned = new Similarity.Text("hypothesis", description, "", "", 5);
        assertThat(kept.of(owned, ALL)).as("owned by nothing: never kept").isNotSameAs(kept.of(owned, ALL));

        // a reading stopped at what a short hypothesis needs is not the text's tokens: not kept
        Similarity.Text long_ = new Similarity.Text("experiment", "a1 b2 c3 d4 e5 f6 g7 h8", "c9", 7);
        assertThat(kept.of(long_, 3).size()).as("stopped past 3").isEqualTo(4);
        Similarity.Tokens whole = kept.of(long_, ALL);
        assertThat(whole.size()).isEqualTo(8);
        assertThat(kept.of(long_, 3)).as("read whole once, kept for every later search").isSameAs(whole);

        // what the search finds with kept tokens is what it finds reading each text afresh
        List<Similarity.Text> texts = List.of(experiment, hypothesis,
                new Similarity.Text("experiment", "lower the learning rate and raise warmup", "c2", 6));
        String asked = "lower the learning rate, raise the warmup to 400 steps";
        assertThat(Similarity.nearDuplicates(asked, texts, 5, kept))
                .isEqualTo(Similarity.nearDuplicates(asked, texts, 5)).isNotEmpty();
    }
}
