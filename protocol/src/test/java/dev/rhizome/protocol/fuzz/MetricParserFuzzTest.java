package dev.rhizome.protocol.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rhizome.protocol.seed.MetricParser;
import java.util.OptionalDouble;

/** A job's output is whatever the job printed: the metric parser finds a finite number or nothing. */
class MetricParserFuzzTest {
    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    void parsingAnyOutputNeverThrows(FuzzedDataProvider data) {
        String name = data.pickValue(new String[] {"val_bpb", "loss", "a.b_c"});
        OptionalDouble metric = new MetricParser(name).parse(data.consumeRemainingAsString());
        metric.ifPresent(v -> assertThat(Double.isFinite(v)).as("metric %s", v).isTrue());
    }
}
