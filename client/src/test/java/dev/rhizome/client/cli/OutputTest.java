package dev.rhizome.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OutputTest {
    @Test
    void textForPeopleCannotDriveOrReorderTheTerminal() {
        // Records stored before the coordinator refused such text (and whatever answers at the
        // coordinator's URL) reached the operator's terminal raw: `rhizome results` printed a
        // hardware class that retitled the window, cleared the screen or read backwards.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output out = new Output(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        out.line("class \u001b]0;owned\u0007 \u001b[2J real\rfake \u202e001h:upg \u009b31m nul\u0000");
        out.printf("%-10s %s%n", "cpu\u001b[31m", "\u2066x\u2069");
        String shown = bytes.toString(StandardCharsets.UTF_8);
        assertThat(shown).doesNotContain("\u001b", "\u0007", "\r", "\u202e", "\u009b", "\u0000", "\u2066", "\u2069")
                .contains("class ?]0;owned? ?[2J real?fake ?001h:upg ?31m nul?\n", "cpu?[31m   ?x?\n");
        bytes.reset();
        out.line("a\ttabbed\nsecond line, \u00fcber \u5b66\u4e60 \u05e9\u05dc\u05d5\u05dd \ud83d\ude00");
        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo("a\ttabbed\nsecond line, \u00fcber \u5b66\u4e60 \u05e9\u05dc\u05d5\u05dd \ud83d\ude00" + System.lineSeparator());
    }
}
