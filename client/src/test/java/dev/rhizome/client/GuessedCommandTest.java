package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import org.junit.jupiter.api.Test;

/**
 * The words a new volunteer, operator or agent guesses inside a group (round 19's walk from the
 * README): `rhizome node start` and `rhizome coordinator start` (the role runs itself), `node stop`,
 * `coordinator status`, `direction show`, `seed add`, `rhizome version`. Each said only "see
 * --help", the group's whole help after it; now the hint names the command that does it.
 */
class GuessedCommandTest {
    @Test
    void aGuessedCommandInAGroupIsLedToTheCommandThatDoesIt() {
        assertThat(hint("node", "start")).isEqualTo("did you mean `rhizome node`? `rhizome node` itself runs the node. "
                + "See `rhizome node --help`");
        assertThat(hint("coordinator", "start")).startsWith("did you mean `rhizome coordinator`?");
        assertThat(hint("coordinator", "status")).startsWith("did you mean `rhizome status`?");
        assertThat(hint("node", "stop")).startsWith("did you mean `rhizome node pause`?")
                .contains("? A running node stops on Ctrl-C or SIGTERM (`kill PID`, the pid `rhizome node status` shows");
        assertThat(hint("direction", "show")).startsWith("did you mean `rhizome direction list` or `rhizome brief --direction D`?");
        assertThat(hint("seed", "add")).startsWith("did you mean `rhizome seed publish`?");
        assertThat(hint("version")).startsWith("did you mean `rhizome --version`?");
        // every hint still ends with the help to read, a sentence of its own after a suggestion
        // (it read "...runs the node. see"), and a word nothing answers keeps that alone, as it was
        assertThat(hint("node", "info")).endsWith("? See `rhizome node --help`");
        assertThat(hint("direction", "frobnicate")).isEqualTo("see `rhizome direction --help`");
        // and without --json, the hint is the line after the message, not the group's whole help
        CliRun text = CliRun.of("node", "start");
        assertThat(text.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(text.err()).contains("did you mean `rhizome node`?").doesNotContain("Usage:");
    }

    private static String hint(String... words) {
        String[] args = new String[words.length + 1];
        System.arraycopy(words, 0, args, 0, words.length);
        args[words.length] = "--json";
        JsonObject error = CliRun.of(args).failure(ExitCodes.USAGE, "usage");
        return error.get("hint").getAsString();
    }
}
