package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A node's measured runtimes outlive a restart; a file it did not write as it does is refused and ignored. */
class RuntimeEstimatesTest {
    @TempDir
    Path dir;

    private static WorkUnit unitOf(String seed) {
        return WorkUnit.newBuilder().setId("u").setSeed(seed)
                .setManifest(Manifest.newBuilder().setTimeoutSeconds(600)).build();
    }

    @Test
    void aRestartedNodeKnowsWhatItsJobsTook() {
        Path file = dir.resolve(RuntimeEstimates.FILE_NAME);
        RuntimeEstimates before = RuntimeEstimates.keptIn(file);
        before.record("seed-a", 42_000);
        before.record("seed-a", 45_000);
        before.record("seed-b", 7_000);

        RuntimeEstimates after = RuntimeEstimates.keptIn(file);
        assertThat(after.expectedMs(unitOf("seed-a"))).isEqualTo(45_000);
        assertThat(after.expectedMs(unitOf("seed-b"))).isEqualTo(7_000);
        assertThat(after.expectedMs(unitOf("seed-c"))).as("never run here: its timeout").isEqualTo(600_000);
    }

    @Test
    void onlyTheLastRunsOfTheSeedsRunLastAreKept() {
        Path file = dir.resolve(RuntimeEstimates.FILE_NAME);
        RuntimeEstimates estimates = RuntimeEstimates.keptIn(file);
        estimates.record("old", 1_000_000);
        for (int i = 0; i < RuntimeEstimates.MAX_SEEDS; i++) {
            estimates.record("seed-" + i, 1_000);
        }
        RuntimeEstimates after = RuntimeEstimates.keptIn(file);
        assertThat(after.expectedMs(unitOf("old"))).as("dropped: run longest ago").isEqualTo(600_000);
        assertThat(after.expectedMs(unitOf("seed-0"))).isEqualTo(1_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json {", "[]", "{\"seeds\": 3}", "{\"seeds\": {\"s\": [-5]}}",
            "{\"seeds\": {\"s\": [1.5]}}", "{\"seeds\": {\"s\": [\"10\"]}}", "{\"seeds\": {\"s\": [1,2,3,4,5,6,7,8,9]}}",
            "{\"seeds\": {\"s\": [999999999999999]}}"})
    void aFileNotAsWrittenIsRefusedAndIgnoredAndWrittenAnew(String content) throws Exception {
        Path file = dir.resolve(RuntimeEstimates.FILE_NAME);
        Files.writeString(file, content);

        RuntimeEstimates estimates = RuntimeEstimates.keptIn(file);
        assertThat(estimates.expectedMs(unitOf("s"))).as("nothing taken from it").isEqualTo(600_000);
        estimates.record("s", 3_000);
        assertThat(RuntimeEstimates.keptIn(file).expectedMs(unitOf("s"))).isEqualTo(3_000);
    }

    @Test
    void theReasonNamesTheProblem() throws Exception {
        Path file = dir.resolve(RuntimeEstimates.FILE_NAME);
        Files.writeString(file, "{\"seeds\": {\"nanogpt\": [-5]}}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RuntimeEstimates.read(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nanogpt").hasMessageContaining("-5");
        Files.write(file, new byte[] {(byte) 0xff, (byte) 0xfe, '{'});
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RuntimeEstimates.read(file))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not JSON");
    }
}
