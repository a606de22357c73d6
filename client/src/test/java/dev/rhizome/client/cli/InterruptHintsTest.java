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
        assertThat(hint("node", "pause")).contains("`rhizome node status --data-dir ").contains("` shows whether it is paused");
    }

    @Test
    void anOptionsValueThatSpellsACommandIsNotTakenForIt() {
        // the node itself, not `node status`
        assertThat(hint("node", "--data-dir", "/tmp/status", "--json")).startsWith("run the command again;")
                .contains("--data-dir /tmp/status");
        assertThat(hint("node", "doctor", "--data-dir", "pause")).contains("only looks at this machine");
        assertThat(hint("wait", "--commit", "abc", "--coordinator", "http://h:1")).contains("waiting changes nothing");
        assertThat(hint("direction", "close", "--name", "list", "--reason", "done"))
                .contains("may or may not have been closed");
    }

    @Test
    void writingCommandsSayTheRequestMayHaveGoneInAndHowToTell() {
        assertThat(hint("direction", "open", "--seed", "s", "--name", "n")).contains("`rhizome direction list --data-dir ");
        assertThat(hint("seed", "publish", "--builtin", "tiny-lm")).contains("`rhizome seed list --data-dir ");
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
        FollowUp where = new FollowUp("http://h:1", java.nio.file.Path.of("/tmp/d"));
        assertThat(hint("claim", "--direction", "lr", "--data-dir", "/tmp/d", "--coordinator", "http://h:1"))
                .isEqualTo(InterruptHints.generic(where));
        assertThat(InterruptHints.forCommand(java.util.List.of(), FollowUp.BARE)).isEqualTo(InterruptHints.generic(FollowUp.BARE));
    }

    @Test
    void theCommandsAHintOffersNameTheDataDirectoryAndCoordinatorInUse() {
        // "`rhizome direction list` shows whether it was" asked ~/.rhizome and the default coordinator,
        // not the ones the interrupted `direction open` used
        assertThat(hint("direction", "open", "--seed", "s", "--name", "n", "--data-dir", "/tmp/my dir",
                "--coordinator", "http://h:7")).contains("`rhizome direction list --data-dir '/tmp/my dir' --coordinator http://h:7`");
        assertThat(hint("seed", "publish", "--builtin", "tiny-lm", "--coordinator", "http://h:7"))
                .contains("`rhizome seed list --data-dir ").contains(" --coordinator http://h:7`");
        // a node's control socket is in its data directory: `node status` names that, and no coordinator
        assertThat(hint("node", "pause", "--data-dir", "/tmp/n1"))
                .contains("`rhizome node status --data-dir /tmp/n1` shows whether it is paused");
        assertThat(hint("claim", "--direction", "lr", "--data-dir", "/tmp/a", "--coordinator", "http://h:7"))
                .contains("`rhizome brief --data-dir /tmp/a --coordinator http://h:7`")
                .contains("`rhizome wait --commit COMMIT --data-dir /tmp/a --coordinator http://h:7`");
    }
}
