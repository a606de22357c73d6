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
        assertThat(Evaluator.fileName("unit-42.a_b")).isEqualTo("unit-42.a_b");
    }
}
