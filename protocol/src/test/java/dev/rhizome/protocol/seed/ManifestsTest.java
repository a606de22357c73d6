package dev.rhizome.protocol.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.proto.v1.Manifest;
import org.junit.jupiter.api.Test;

class ManifestsTest {
    private static final String GOOD = """
            {"name": "t", "command": ["java", "Train.java"], "budget": {"steps": 100}, "random_seed": 7,
             "metric": {"name": "val_bpb", "lower_is_better": true, "tolerance": 0.01},
             "editable_files": ["config.properties"], "timeout_seconds": 60,
             "knobs": [{"name": "learning_rate", "file": "config.properties", "min": 0.0001, "max": 0.1, "log_scale": true}]}
            """;

    @Test
    void parsesAValidManifest() throws ManifestException {
        Manifest m = Manifests.parse(GOOD);
        assertThat(m.getBudget().getSteps()).isEqualTo(100);
        assertThat(m.getKnobs(0).getLogScale()).isTrue();
        assertThat(Manifests.quorum(m)).isEqualTo(1);
    }

    @Test
    void namesEveryProblem() {
        assertThatThrownBy(() -> Manifests.parse("{\"name\": \"t\"}"))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("command is missing")
                .hasMessageContaining("budget needs wall_seconds or steps")
                .hasMessageContaining("metric.name is missing");
    }

    @Test
    void refusesUnknownFieldsAndKnobsOutsideEditableFiles() {
        assertThatThrownBy(() -> Manifests.parse(GOOD.replace("\"random_seed\"", "\"random_sed\"")))
                .isInstanceOf(ManifestException.class).hasMessageContaining("random_sed");
        assertThatThrownBy(() -> Manifests.parse(GOOD.replace("[\"config.properties\"]", "[\"Train.java\"]")))
                .isInstanceOf(ManifestException.class).hasMessageContaining("not an editable file");
    }

    private static final String HARNESSED = GOOD.replace("\"command\": [\"java\", \"Train.java\"]", """
            "train_command": ["python3", "train.py"], "serve_command": ["python3", "train.py", "--serve"],
            "harness_command": ["python3", "harness.py"], "protected_files": ["harness.py", "data/source.py"]""");

    @Test
    void aHarnessedManifestNeedsNoCommandAndKeepsItsProtectedFiles() throws ManifestException {
        Manifest m = Manifests.parse(HARNESSED);

        assertThat(Manifests.harnessed(m)).isTrue();
        assertThat(m.getCommandList()).isEmpty();
        assertThat(m.getProtectedFilesList()).containsExactly("harness.py", "data/source.py");
        assertThat(Manifests.harnessed(Manifests.parse(GOOD))).as("the weak single-command mode").isFalse();
    }

    @Test
    void aHarnessedManifestNeedsAllThreeCommandsAndProtectedFilesSpelledPlainly() {
        assertThatThrownBy(() -> Manifests.parse(HARNESSED.replace("\"serve_command\": [\"python3\", \"train.py\", \"--serve\"],", "")))
                .isInstanceOf(ManifestException.class).hasMessageContaining("serve_command is missing");
        assertThatThrownBy(() -> Manifests.parse(HARNESSED.replace("\"train_command\": [\"python3\", \"train.py\"],", "")))
                .isInstanceOf(ManifestException.class).hasMessageContaining("train_command is missing");
        assertThatThrownBy(() -> Manifests.parse(HARNESSED.replace("\"data/source.py\"", "\"../source.py\"")))
                .isInstanceOf(ManifestException.class).hasMessageContaining("not a plain relative path: ../source.py");
        assertThatThrownBy(() -> Manifests.parse(HARNESSED.replace("\"data/source.py\"", "\"config.properties\"")))
                .isInstanceOf(ManifestException.class).hasMessageContaining("config.properties is also an editable file");
        assertThatThrownBy(() -> Manifests.parse(HARNESSED.replace("[\"harness.py\", \"data/source.py\"]", "[]")))
                .isInstanceOf(ManifestException.class).hasMessageContaining("protected_files is empty");
    }

    @Test
    void everySeedIsRefusedAFileBothEditableAndProtected() throws ManifestException {
        String singleCommand = GOOD.replace("\"editable_files\": [\"config.properties\"]",
                "\"editable_files\": [\"config.properties\", \"Train.java\"], \"protected_files\": [\"Train.java\"]");
        assertThatThrownBy(() -> Manifests.parse(singleCommand))
                .isInstanceOf(ManifestException.class).hasMessageContaining("protected_files: Train.java is also an editable file");
        assertThatThrownBy(() -> Manifests.parse(singleCommand.replace("\"protected_files\": [\"Train.java\"]",
                "\"protected_files\": [\"./Train.java\"]")))
                .as("a path git never spells so would protect nothing")
                .isInstanceOf(ManifestException.class).hasMessageContaining("not a plain relative path: ./Train.java");
        // protecting a file that is not editable stays allowed without a harness
        Manifest apart = Manifests.parse(GOOD.replace("\"editable_files\"", "\"protected_files\": [\"Train.java\"], \"editable_files\""));
        assertThat(Manifests.harnessed(apart)).isFalse();
        assertThat(apart.getProtectedFilesList()).containsExactly("Train.java");
    }

    @Test
    void adoptionSeedsAndSignificanceHaveDefaultsAndBounds() throws ManifestException {
        Manifest m = Manifests.parse(GOOD);
        assertThat(Manifests.adoptionSeeds(m)).isEqualTo(3);
        assertThat(Manifests.significance(m)).isEqualTo(2.0);
        assertThat(Manifests.trialSeeds(m)).containsExactly(7L, 8L, 9L);
        String custom = GOOD.replace("\"timeout_seconds\": 60", "\"timeout_seconds\": 60, \"adoption_seeds\": 5, "
                + "\"significance\": 3");
        assertThat(Manifests.trialSeeds(Manifests.parse(custom))).hasSize(5);
        assertThatThrownBy(() -> Manifests.parse(GOOD.replace("\"timeout_seconds\": 60",
                "\"timeout_seconds\": 60, \"adoption_seeds\": 17, \"significance\": 1")))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("adoption_seeds must be at most 16")
                .hasMessageContaining("significance must be above 1");
        assertThat(Manifests.confirmationSeeds(m)).as("as many as the adoption seeds").isEqualTo(3);
        assertThat(Manifests.confirmationSeeds(Manifests.parse(custom))).isEqualTo(5);
        assertThat(Manifests.confirmationSeeds(Manifests.parse(GOOD.replace("\"timeout_seconds\": 60",
                "\"timeout_seconds\": 60, \"confirmation_seeds\": 0")))).as("0 is off, not the default").isZero();
        assertThatThrownBy(() -> Manifests.parse(GOOD.replace("\"timeout_seconds\": 60",
                "\"timeout_seconds\": 60, \"confirmation_seeds\": 17")))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("confirmation_seeds must be at most 16, got 17");
    }

    /** GOOD with its metric's range; the knob has a "min" too, so the range is written whole. */
    private static String ranged(String min, String max) {
        return GOOD.replace("\"tolerance\": 0.01}", "\"tolerance\": 0.01, \"min\": " + min + ", \"max\": " + max + "}");
    }

    @Test
    void aMetricRangeIsOptionalButMustHoldSomethingAndBeFinite() throws ManifestException {
        Manifest m = Manifests.parse(ranged("0", "64"));
        assertThat(m.getMetric().hasMin()).isTrue();
        assertThat(m.getMetric().getMin()).isZero();
        assertThat(m.getMetric().getMax()).isEqualTo(64);
        assertThat(Manifests.parse(GOOD).getMetric().hasMin()).as("no range named: none applies").isFalse();
        assertThat(Manifests.parse(ranged("0", "0")).getMetric().getMax()).as("a range of one value").isZero();

        assertThatThrownBy(() -> Manifests.parse(ranged("65", "64")))
                .isInstanceOf(ManifestException.class).hasMessageContaining("metric.min 65.0 is above metric.max 64.0");
        assertThatThrownBy(() -> Manifests.parse(ranged("\"NaN\"", "64")))
                .isInstanceOf(ManifestException.class).hasMessageContaining("metric.min must be a finite number, got NaN");
        assertThatThrownBy(() -> Manifests.parse(ranged("0", "\"Infinity\"")))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("metric.max must be a finite number, got Infinity");
        assertThatThrownBy(() -> Manifests.parse(ranged("\"-Infinity\"", "64")))
                .isInstanceOf(ManifestException.class).hasMessageContaining("metric.min must be a finite number");
    }
}
