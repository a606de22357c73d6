package dev.rhizome.client.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import org.junit.jupiter.api.Test;

/**
 * `rhizome node status` on a node that closed its control connection without an answer (a node
 * whose jar was replaced under it) said "Not a JSON Object: null"; it now says what happened and
 * where to look.
 */
class NodeControlAnswerTest {
    @Test
    void anAnswerThatIsNoJsonObjectIsToldAsSuch() {
        assertThat(NodeCommand.answerOf("{\"paused\":true}").get("paused").getAsBoolean()).isTrue();
        for (String answer : new String[] {"", "null", "[1]", "{not json"}) {
            assertThatThrownBy(() -> NodeCommand.answerOf(answer)).as(answer).isInstanceOfSatisfying(CommandException.class, e -> {
                assertThat(e.exitCode()).isEqualTo(ExitCodes.FAILED);
                assertThat(e.getMessage()).startsWith(answer.isEmpty() ? "the node closed its control connection"
                        : "the node's answer is not a JSON object");
                assertThat(e.hint()).contains("the node's log");
            });
        }
    }
}
