package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PapersTest {
    @Test
    void aBodyThatOpensWithItsTitleIsNotGivenTheHeadingTwice() {
        // submit takes the title from the paper's first heading, so the body usually repeats it
        String body = "# Halving the learning rate\n\nTried lr=0.005.";
        assertThat(Papers.withHeading("Halving the learning rate", body)).isEqualTo(body);
        assertThat(Papers.withHeading("Halving the learning rate", "\n## Halving the learning rate \n\nx"))
                .doesNotStartWith("# Halving");
    }

    @Test
    void aBodyWithoutItsTitleGetsItAsHeading() {
        assertThat(Papers.withHeading("Warmup", "Tried warmup.")).isEqualTo("# Warmup\n\nTried warmup.");
        assertThat(Papers.withHeading("Warmup", "# Something else\n\nx")).startsWith("# Warmup\n\n# Something else");
    }
}
