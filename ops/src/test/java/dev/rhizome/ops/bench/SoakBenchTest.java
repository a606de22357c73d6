package dev.rhizome.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short soak against a real coordinator: its verdict (exit 1 on anything unexpected) is only
 * worth reading if the attacks still meet the refusals the coordinator gives today. The replay
 * attack once claimed on a direction that did not exist, which the coordinator came to refuse with
 * 404 before the nonce was looked at, and every soak then failed on its own attack.
 */
class SoakBenchTest {
    @TempDir
    Path dir;

    @Test
    void everyAttackIsRefusedAsExpectedAndNoAcknowledgedResultIsLost() throws Exception {
        // five hostile clients: each starts on a different attack, so all five run
        SoakBench.Report report = SoakBench.run(new SoakBench.Config(Duration.ofSeconds(12), 2, 5, dir),
                new PrintStream(new ByteArrayOutputStream(), true));

        assertThat(report.errorsByKind()).as("unexpected errors").isEmpty();
        assertThat(report.lost()).isZero();
        assertThat(report.resultsAcked()).isPositive();
        assertThat(report.hostileOutcomes().keySet()).contains("replay=409", "oversized=413", "garbage_json=400",
                "pipelined=in_order");
        // a slow header is cut at the coordinator's deadline, or still open when so short a run ends
        assertThat(report.hostileOutcomes().keySet()).containsAnyOf("slowloris=408", "slowloris=ended_by_run");
    }
}
