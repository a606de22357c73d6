package dev.rhizome.ops.seed;

import dev.rhizome.node.job.JobOutcome;
import dev.rhizome.node.job.JobProgress;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.node.job.JobSpec;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.seed.Manifests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * The pure-Java demo seed: a tiny character-level language model that trains on any CPU in a
 * few seconds, on a synthetic source whose entropy rate (the best val_bpb possible) is known.
 * Harnessed: Train.java and config.properties are the proposer's; Harness.java (evaluation and
 * data source) is protected, and the metric comes from it.
 * Its files are resources under {@value #RESOURCE_DIR}.
 */
public final class TinyLmSeed {
    public static final String NAME = "tiny-lm";
    static final String RESOURCE_DIR = "/seeds/tiny-lm/";
    /** Every file of the seed: a directory inside a jar can't be listed, so they are named here. */
    static final List<String> FILE_NAMES = List.of(".gitignore", "BRIEF.md", "Harness.java", "Train.java",
            "config.properties", Manifests.FILE_NAME);

    private static final SeedResources RESOURCES = new SeedResources(NAME, RESOURCE_DIR, FILE_NAMES);
    /** Computed on first use; stays null after a failure so that a later call tries again. */
    private static Double entropyFloor;

    private TinyLmSeed() {
    }

    /** Relative path to content, for every file of the seed. */
    public static SortedMap<String, byte[]> files() {
        return RESOURCES.files();
    }

    public static Manifest manifest() {
        return RESOURCES.manifest();
    }

    /**
     * The entropy rate of the seed's source in bits per character: no model can score a lower
     * val_bpb on average. Computed by the seed's own {@code java Harness.java --floor}, so there is
     * one definition of the source; that takes about a second, the first time.
     */
    public static double entropyFloor() {
        return entropyFloor(FloorBudget.now());
    }

    /** {@link #entropyFloor()} within {@code budget}; past it, {@link FloorTimedOut}. */
    public static synchronized double entropyFloor(Duration budget) {
        if (entropyFloor == null) {
            entropyFloor = computeEntropyFloor(budget);
        }
        return entropyFloor;
    }

    /**
     * The floor's computation ran past its budget: the machine was too busy, not the seed broken
     * (a crash or a missing metric is an {@link IllegalStateException} of its own).
     */
    public static final class FloorTimedOut extends IllegalStateException {
        FloorTimedOut(String message) {
            super(message);
        }
    }

    private static double computeEntropyFloor(Duration budget) {
        try {
            Path dir = Files.createTempDirectory("rhizome-" + NAME + "-floor");
            try {
                Files.write(dir.resolve("Harness.java"), RESOURCES.read("Harness.java"));
                JobSpec spec = new JobSpec(dir, List.of("java", "Harness.java", "--floor"), Map.of(),
                        budget, dir.resolve("floor.log"), "entropy_floor");
                JobOutcome outcome = new JobRunner(PlainLauncher.atCallersPriority()).run(spec, JobProgress.IGNORE);
                if (outcome.status() == Result.Status.TIMEOUT) {
                    throw new FloorTimedOut("java Harness.java --floor ran past its " + budget.toSeconds()
                            + " s on this machine (its load average grows the budget, up to "
                            + FloorBudget.CEILING.toMinutes() + " min)");
                }
                if (outcome.status() != Result.Status.OK) {
                    throw new IllegalStateException("java Harness.java --floor ended " + outcome.status()
                            + " (exit " + outcome.exitCode() + "): " + Files.readString(dir.resolve("floor.log")));
                }
                return outcome.metric().getAsDouble();
            } finally {
                for (String name : List.of("Harness.java", "floor.log")) {
                    Files.deleteIfExists(dir.resolve(name));
                }
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot compute the " + NAME + " entropy floor", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while computing the " + NAME + " entropy floor", e);
        }
    }
}
