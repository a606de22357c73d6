package dev.rhizome.ops.seed;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.protocol.seed.Manifests;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The manifest docs/autoresearch.md tells operators to copy into autoresearch's repository. */
class AutoresearchManifestTest {

    @Test
    void parsesAsAWeakSingleCommandSeedThatMayChangeOnlyTrainPy() throws Exception {
        Manifest m = Manifests.parse(Files.readString(Path.of("..", "docs", "autoresearch", "rhizome.json")));

        assertThat(Manifests.harnessed(m)).isFalse();
        assertThat(m.getCommandList()).endsWith("train.py");
        assertThat(m.getEditableFilesList()).containsExactly("train.py");
        assertThat(m.getMetric().getName()).isEqualTo("val_bpb");
        assertThat(m.getMetric().hasMin()).as("bits per byte: a plausible range, so no quorum can settle -1e308").isTrue();
        assertThat(m.getMetric().getMin()).isZero();
        assertThat(m.getMetric().getMax()).isEqualTo(64);
        assertThat(m.getBudget().getKindCase()).isEqualTo(Budget.KindCase.WALL_SECONDS);
        assertThat(m.getBrief()).isEqualTo("program.md");
        assertThat(Manifests.quorum(m)).isGreaterThan(1);
    }
}
