package dev.rhizome.protocol.seed;

import static org.assertj.core.api.Assertions.assertThat;

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
}
