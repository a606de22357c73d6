package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.WorkUnit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a node measured its seeds' jobs take outlives a restart: it used to expect each unit to take
 * its manifest's timeout until one job finished, and claimed, from a coordinator with a fixed
 * lease, units it had measured it could not finish in it.
 */
class RuntimeEstimatesTest {
    @TempDir
    Path dir;

    @Test
    void measuredRunsAreReadBackAfterARestart() {
        Path file = dir.resolve(RuntimeEstimates.FILE_NAME);
        RuntimeEstimates before = RuntimeEstimates.kept(file);
        before.record("tiny-lm", 90_000);
        before.record("tiny-lm", 120_000);
        before.record("other", 5_000);

        RuntimeEstimates after = RuntimeEstimates.kept(file);
        assertThat(after.measuredMsBySeed()).isEqualTo(Map.of("tiny-lm", 120_000L, "other", 5_000L));
        assertThat(after.expectedMs(unit("tiny-lm", 600))).as("the longest run, not the timeout").isEqualTo(120_000);
        assertThat(after.expectedMs(unit("never-run", 600))).as("a seed never run: its timeout").isEqualTo(600_000);
        after.record("tiny-lm", 100_000);
        assertThat(RuntimeEstimates.kept(file).measuredMsBySeed()).containsEntry("tiny-lm", 120_000L);
    }

    @Test
    void aTornOrUnreadableFileIsIgnoredAndWrittenAnewAtTheNextRun() throws Exception {
        Path file = dir.resolve(RuntimeEstimates.FILE_NAME);
        for (String bad : new String[] {"{\"tiny-lm\": [90000, 1200", "not json", "[1, 2]", "", "{\"a\": \"b\"}"}) {
            Files.writeString(file, bad, StandardCharsets.UTF_8);
            RuntimeEstimates read = RuntimeEstimates.kept(file);
            assertThat(read.measuredMsBySeed()).as("from %s", bad).isEmpty();
            assertThat(read.expectedMs(unit("tiny-lm", 600))).isEqualTo(600_000);
        }
        RuntimeEstimates.kept(file).record("tiny-lm", 42_000);
        assertThat(RuntimeEstimates.kept(file).measuredMsBySeed()).isEqualTo(Map.of("tiny-lm", 42_000L));
    }

    @Test
    void aFirstStartHasNothingMeasured() {
        assertThat(RuntimeEstimates.kept(dir.resolve("missing.json")).measuredMsBySeed()).isEmpty();
        assertThat(Files.exists(dir.resolve("missing.json"))).as("nothing written before a run").isFalse();
    }

    private static WorkUnit unit(String seed, int timeoutS) {
        return WorkUnit.newBuilder().setSeed(seed).setManifest(Manifest.newBuilder().setTimeoutSeconds(timeoutS)).build();
    }
}
