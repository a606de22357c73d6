package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Hint parts, each written to stand first, read as sentences once joined (GuessedCommandTest runs the command). */
class SentencesTest {
    @Test
    void aPartAfterAFullStopOrAQuestionStartsWithACapitalAndBlankPartsAreLeftOut() {
        assertThat(Sentences.join("did you mean `rhizome node`? ", "`rhizome node` itself runs the node. ",
                "see `rhizome node --help`")).isEqualTo("did you mean `rhizome node`? `rhizome node` itself runs the node. "
                + "See `rhizome node --help`");
        assertThat(Sentences.join("did you mean x? ", "", null, "see `rhizome --help`"))
                .isEqualTo("did you mean x? See `rhizome --help`");
        // the first part keeps its case, and a part after a clause (no full stop) keeps its own
        assertThat(Sentences.join("see a;", "see b")).isEqualTo("see a; see b");
        assertThat(Sentences.join()).isEmpty();
    }
}
