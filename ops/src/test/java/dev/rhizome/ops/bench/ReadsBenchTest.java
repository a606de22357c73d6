package dev.rhizome.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadsBenchTest {
    @TempDir
    Path dir;

    @Test
    void eachCostlyReadIsTimedAgainstHealthzOnTheHistoryWritten() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        ReadsBench.Report report = ReadsBench.run(new ReadsBench.Config(150, 2, "", dir), new PrintStream(progress, true));

        assertThat(progress.toString()).contains("writing 150 experiments", "timing GET /v1/trials");
        assertThat(report.baselineMs()).isPositive();
        assertThat(report.figures()).extracting(ReadsBench.Figure::read).containsExactly(
                "GET /v1/trials?direction=&limit=1000", "GET /v1/trials?direction=&limit=1000, asked again (shared)",
                "GET /v1/results?direction=&limit=1000", "GET /v1/results?direction=&limit=1000, asked again (shared)",
                "similar work, 20-word hypothesis (in process)", "similar work, 700-word hypothesis (in process)",
                "similar work, 20-word hypothesis, tokens kept (in process)",
                "similar work, 700-word hypothesis, tokens kept (in process)");
        // a page of 150 trials or results, each read and encoded, costs more than a bare health check
        assertThat(List.of(report.figures().get(0), report.figures().get(2)))
                .allSatisfy(f -> assertThat(f.ratio()).isGreaterThan(1));
        var json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertThat(json.keySet()).contains("store", "results", "repeats", "healthz_ms", "reads");
        assertThat(json.getAsJsonArray("reads")).hasSize(8);
        assertThat(report.toText()).contains("x healthz");
    }

    @Test
    void noHistoryIsAUsageError() {
        assertThatThrownBy(() -> new ReadsBench.Config(0, 1, "", dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--results must be at least 1");
    }
}
