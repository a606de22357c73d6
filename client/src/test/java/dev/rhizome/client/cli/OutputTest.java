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

    @Test
    void jsonAnswersHoldNoNumberJsonCannotWrite() {
        // `rhizome wait --json` printed "delta_frontier":Infinity (a difference of two large finite
        // metrics) and a report's infinite mean came through protobuf as the string "Infinity":
        // an agent's parser refused the first answer whole, and met a string for a number in the second.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Output out = new Output(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("delta_frontier", Double.MAX_VALUE - -Double.MAX_VALUE);
        o.addProperty("gain", Double.NaN);
        o.addProperty("metric", -Double.MAX_VALUE);
        com.google.gson.JsonArray list = new com.google.gson.JsonArray();
        list.add(Double.NEGATIVE_INFINITY);
        list.add(1.5);
        o.add("values", list);
        o.add("report", Output.toJson(dev.rhizome.proto.v1.ExperimentReport.newBuilder()
                .setMetric(Double.POSITIVE_INFINITY).setHasMetric(true).setParentMetric(0.25).setHasParentMetric(true)
                .build()));
        out.json(o);
        String shown = bytes.toString(StandardCharsets.UTF_8);
        assertThat(shown).doesNotContain("Infinity", "NaN")
                .contains("\"delta_frontier\":null", "\"gain\":null", "\"metric\":-1.7976931348623157E308",
                        "\"values\":[null,1.5]", "\"metric\":null", "\"parent_metric\":0.25");
    }
}
