package dev.rhizome.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CoordinatorBenchTest {
    @TempDir
    Path dir;

    @Test
    void everyUnitIsClaimedAndReportedAndTheFiguresAreAgainstTheBaseline() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        CoordinatorBench.Report report = CoordinatorBench.run(new CoordinatorBench.Config(20, 2, 100, dir),
                new PrintStream(progress, true));

        assertThat(progress.toString()).contains("21 units claimed and reported"); // 20 experiments and the baseline
        assertThat(report.cyclesPerSecond()).isPositive();
        assertThat(report.baselineRequestsPerSecond()).isPositive();
        // Signed, durable requests can't outrun bare round trips on the same server and clients.
        assertThat(report.ratioToBaseline()).isPositive().isLessThan(1.0);
        assertThat(report.claimP99Ms()).isGreaterThanOrEqualTo(report.claimP50Ms());
        var json = JsonParser.parseString(report.toJson()).getAsJsonObject();
        assertThat(json.keySet()).contains("cycles_per_second", "baseline_requests_per_second", "ratio_to_baseline",
                "claim_p50_ms", "claim_p99_ms", "result_p50_ms", "result_p99_ms");
    }
}
