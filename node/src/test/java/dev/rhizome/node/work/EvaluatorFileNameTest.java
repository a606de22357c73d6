package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class EvaluatorFileNameTest {
    @Test
    void aUnitIdIsOneNameInsideTheWorkRootWhateverItHolds() {
        Path root = Path.of("/tmp/rhizome-jobs-1000-0123456789abcdef");
        for (String id : new String[] {"..", ".", "", "...", "../..", "a/../../b", "/etc", "u-1\n\u001b[2J"}) {
            Path dir = root.resolve(Evaluator.fileName(id)).normalize();
            assertThat(dir.getParent()).as(id).isEqualTo(root);
        }
        assertThat(Evaluator.fileName("unit-42.a_b")).as("the usual ids keep their names").isEqualTo("unit-42.a_b");
    }

    /** Two slots' jobs of units whose ids were once one name wrote, truncated and read one log. */
    @Test
    void noTwoUnitIdsShareAName() {
        java.util.List<String> ids = java.util.List.of("u/1", "u:1", "u_1", "u%2F1", "u%", "%", "..", ".", "", "u 1",
                "u\u00e91", "x".repeat(300), "x".repeat(299) + "y", "x".repeat(64) + "~");
        assertThat(ids.stream().map(Evaluator::fileName).distinct()).hasSameSizeAs(ids);
        assertThat(ids).allSatisfy(id -> assertThat(Evaluator.fileName(id).length()).as(id)
                .isLessThanOrEqualTo(UnitFileNames.MAX_CHARS));
    }
}
