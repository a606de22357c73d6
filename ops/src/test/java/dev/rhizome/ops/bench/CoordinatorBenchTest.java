package dev.rhizome.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
                "claim_p50_ms", "claim_p99_ms", "result_p50_ms", "result_p99_ms", "coordinator_cpu_us_per_cycle",
                "client_cpu_us_per_cycle", "verify_cpu_us", "cpu_ratio_to_limit", "warmup_units");
        assertThat(report.coordinatorCpuUsPerCycle()).isPositive();
        assertThat(report.verifyCpuUs()).isPositive();
    }

    @Test
    void aWarmUpRunsOnUnitsOfItsOwnAndIsNotCounted() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        CoordinatorBench.Report report = CoordinatorBench.run(new CoordinatorBench.Config(10, 2, 20, dir, "", 30),
                new PrintStream(progress, true));

        assertThat(progress.toString()).contains("warm-up: 31 units claimed and reported", "10 units claimed and reported");
        assertThat(report.units()).isEqualTo(10);
    }

    @Test
    void theClientsAnnounceWhatTheyHoldSoEveryClaimNamesItsCommitsHolders() throws Exception {
        CoordinatorBench.Report report = CoordinatorBench.run(new CoordinatorBench.Config(10, 3, 20, dir, "", 0),
                new PrintStream(new ByteArrayOutputStream(), true));

        // the seed's commit (which the direction's baseline unit evaluates) and the 10 experiments'
        assertThat(report.announcedCommitsPerNode()).isEqualTo(11);
        assertThat(report.claimsWithPeers()).isEqualTo(1.0);
        assertThat(JsonParser.parseString(report.toJson()).getAsJsonObject().get("claims_with_peers").getAsDouble())
                .isEqualTo(1.0);
    }

    @Test
    void withoutAnnouncementsNoClaimNamesAHolderAsBeforeRound33() throws Exception {
        CoordinatorBench.Report report = CoordinatorBench.run(new CoordinatorBench.Config(10, 3, 20, dir, "", 0, 1, false),
                new PrintStream(new ByteArrayOutputStream(), true));

        assertThat(report.announcedCommitsPerNode()).isZero();
        assertThat(report.claimsWithPeers()).isZero();
    }

    @Test
    void moreUnitsThanTheClientsKeysMayLeaseInADayIsAUsageError() {
        assertThatThrownBy(() -> new CoordinatorBench.Config(1000, 4, 10, dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use more --clients");
    }
}
