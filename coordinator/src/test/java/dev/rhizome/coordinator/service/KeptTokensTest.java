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
    @Test
    void aTextIsReadOnceAndNeverTakenForAnother() {
        KeptTokens kept = new KeptTokens();
        String description = "raise the warmup to 400 steps and lower the learning rate";
        Similarity.Text experiment = new Similarity.Text("experiment", description, "c1", 1);
        Similarity.Tokens first = kept.apply(experiment);
        assertThat(kept.apply(new Similarity.Text("experiment", new String(description), "c1", 2)))
                .as("the same commit's text, read again from the store").isSameAs(first);
        Similarity.Tokens other = kept.apply(new Similarity.Text("experiment", "swap the optimizer for lion", "c1", 3));
        assertThat(other).isNotSameAs(first);
        assertThat(other.hashes()).isEqualTo(Similarity.hashed("swap the optimizer for lion").hashes());
        Similarity.Text hypothesis = new Similarity.Text("hypothesis", description, "", "unit-1", 4);
        assertThat(kept.apply(hypothesis)).as("a hypothesis is kept by its unit").isSameAs(kept.apply(hypothesis));
        Similarity.Text owned = new Similarity.Text("hypothesis", description, "", "", 5);
        assertThat(kept.apply(owned)).as("owned by nothing: never kept").isNotSameAs(kept.apply(owned));

        // what the search finds with kept tokens is what it finds reading each text afresh
        List<Similarity.Text> texts = List.of(experiment, hypothesis,
                new Similarity.Text("experiment", "lower the learning rate and raise warmup", "c2", 6));
        String asked = "lower the learning rate, raise the warmup to 400 steps";
        assertThat(Similarity.nearDuplicates(asked, texts, 5, kept))
                .isEqualTo(Similarity.nearDuplicates(asked, texts, 5)).isNotEmpty();
    }
}
