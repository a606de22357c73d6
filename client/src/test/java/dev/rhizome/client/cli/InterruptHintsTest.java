package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.client.Main;
import org.junit.jupiter.api.Test;

/**
 * Each command's interruption says what is true for it: the command picocli parsed, whatever
 * options stand between its words and whatever their values are called.
 */
class InterruptHintsTest {
    private static String hint(String... args) {
        return InterruptHints.of(Main.commandLine().parseArgs(args));
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
        assertThat(hint("node", "status", "--data-dir", "/tmp/x", "--json")).contains("only reads");
        assertThat(hint("seed", "list")).contains("only reads");
        assertThat(hint("node", "pause")).contains("`rhizome node status` shows whether it is paused");
    }

    @Test
    void anOptionsValueThatSpellsACommandIsNotTakenForIt() {
        // the node itself, not `node status`
        assertThat(hint("node", "--data-dir", "/tmp/status", "--json")).isEqualTo(InterruptHints.GENERIC);
        assertThat(hint("node", "doctor", "--data-dir", "pause")).contains("only looks at this machine");
        assertThat(hint("wait", "--commit", "abc", "--coordinator", "http://h:1")).contains("waiting changes nothing");
        assertThat(hint("direction", "close", "--name", "list", "--reason", "done"))
                .contains("may or may not have been closed");
    }

    @Test
    void writingCommandsSayTheRequestMayHaveGoneInAndHowToTell() {
        assertThat(hint("direction", "open", "--seed", "s", "--name", "n")).contains("`rhizome direction list`");
        assertThat(hint("seed", "publish", "--builtin", "tiny-lm")).contains("`rhizome seed list`");
        assertThat(hint("submit", "--unit", "u")).contains("may have reached the coordinator");
        assertThat(hint("export", "--out", "f")).contains("no export file was written");
    }

    @Test
    void anInterruptedWaitNamesTheCommitItWasWaitingFor() {
        // it said "run the same `rhizome wait --commit C` again": C had to be found in a scrollback
        assertThat(hint("wait", "--commit", "53b5606454", "--direction", "lr", "--json"))
                .contains("`rhizome wait --commit 53b5606454 --direction lr --json`").doesNotContain("--commit C");
        assertThat(hint("wait", "--commit", "abc", "--data-dir", "/tmp/my dir"))
                .contains("--data-dir '/tmp/my dir'");
        // a submit cut short before its answer: HEAD of the workspace it named is the commit
        assertThat(hint("submit", "--workspace", "/tmp", "--cites", "p1", "--cites", "p2", "--wait"))
                .contains("`rhizome submit --workspace /tmp --cites p1 --cites p2 --wait`")
                .contains("rhizome wait --commit \"$(git -C /tmp rev-parse HEAD)\"").doesNotContain("--commit C");
    }

    @Test
    void claimKeepsTheGenericHint() {
        assertThat(hint("claim", "--direction", "lr")).isEqualTo(InterruptHints.GENERIC);
        assertThat(InterruptHints.forCommand(java.util.List.of())).isEqualTo(InterruptHints.GENERIC);
    }
}
