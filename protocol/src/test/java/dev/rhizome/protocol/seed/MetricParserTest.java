package dev.rhizome.protocol.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MetricParserTest {
    private final MetricParser parser = new MetricParser("val_bpb");

    @Test
    void readsTheLastValueInAutoresearchFormat() {
        String log = "step 1 loss 3\nval_bpb: 9.0\n---\nval_bpb:          0.997900\ntraining_seconds: 300.1\n";
        assertThat(parser.parse(log)).hasValue(0.9979);
    }

    @Test
    void failOrGarbageOrAbsenceMeansNoMetric() {
        assertThat(parser.parse("---\nval_bpb: FAIL\n")).isEmpty();
        assertThat(parser.parse("---\nval_bpb: NaN\n")).isEmpty();
        assertThat(parser.parse("crashed\n")).isEmpty();
        assertThat(parser.parse("my_val_bpb: 1.0\n")).isEmpty();
    }

    @Test
    void metricNamesAreLiteralNotRegex() {
        assertThat(new MetricParser("a.b").parse("axb: 1.0\n")).isEmpty();
        assertThat(new MetricParser("a.b").parse("a.b: 1.5\n")).hasValue(1.5);
    }

    @Test
    void blanksAroundTheValueAndEveryLineEndingStillCount() {
        assertThat(parser.parse("  \tval_bpb \t:\t 1.25 \t\r\nnext\r\n")).hasValue(1.25);
        assertThat(parser.parse("step 1\rstep 2\rval_bpb: 0.5\r")).hasValue(0.5);
        assertThat(parser.parse("val_bpb:\n1.0\n")).isEmpty(); // the value is on the metric's own line
    }

    @Test
    void aLogOfBlankLinesIsReadInTimeProportionalToIt() {
        // "^\\s*" ran over every blank line after each and back: 8 MiB of them took weeks.
        String log = "\n".repeat(4 << 20) + " \n".repeat(2 << 20) + "\r".repeat(2 << 20) + "val_bpb: 1.5\n";
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> assertThat(parser.parse(log)).hasValue(1.5));
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> assertThat(parser.parse(log.replace("val_bpb", "x"))).isEmpty());
    }
}
