package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Each command's interruption says what is true for it, whatever options stand between its words. */
class InterruptHintsTest {
    private static String hint(String... args) {
        return InterruptHints.of(args);
    }

    @Test
    void aBenchmarkSaysNothingWasMeasuredNotThatLeasesStayWithTheCoordinator() {
        assertThat(hint("bench", "gossip", "--simulate", "--json")).contains("benchmark").contains("nothing was measured")
                .doesNotContain("claim");
        assertThat(hint("bench", "coordinator", "--store", "postgresql://x/y")).contains("PostgreSQL schema");
    }

    @Test
    void readingCommandsSayNothingChangedAndGroupsAreFoundPastTheirOptions() {
        assertThat(hint("status", "--json")).contains("only reads");
        assertThat(hint("node", "--data-dir", "/tmp/x", "status", "--json")).contains("only reads");
        assertThat(hint("seed", "list")).contains("only reads");
        assertThat(hint("node", "pause")).contains("`rhizome node status` shows whether it is paused");
    }

    @Test
    void writingCommandsSayTheRequestMayHaveGoneInAndHowToTell() {
        assertThat(hint("direction", "open", "--seed", "s", "--name", "n")).contains("`rhizome direction list`");
        assertThat(hint("seed", "publish", "--builtin", "tiny-lm")).contains("`rhizome seed list`");
        assertThat(hint("submit", "--unit", "u")).contains("may have reached the coordinator");
        assertThat(hint("export", "--out", "f")).contains("no export file was written");
    }

    @Test
    void claimAndUnknownWordsKeepTheGenericHint() {
        assertThat(hint("claim", "--direction", "lr")).isEqualTo(InterruptHints.GENERIC);
        assertThat(hint()).isEqualTo(InterruptHints.GENERIC);
        assertThat(hint("stauts")).isEqualTo(InterruptHints.GENERIC);
    }
}
