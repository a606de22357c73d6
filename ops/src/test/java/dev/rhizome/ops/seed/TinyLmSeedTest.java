package dev.rhizome.ops.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rhizome.node.job.BudgetEnv;
import dev.rhizome.node.job.JobOutcome;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.JobSpec;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Knob;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.seed.Manifests;
import dev.rhizome.protocol.seed.MetricParser;
import java.io.IOException;
import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyLmSeedTest {
    private static final double UNIFORM_BPB = 3.0; // log2 of the 8-character alphabet

    private static final long STEPS = 300;

    /** The seed as shipped, 300 steps, seed 7: shared because every child JVM costs a second or more. */
    private static Run baseline;
    private static List<String> baselineProgress;

    @TempDir
    Path dir;

    @BeforeAll
    static void trainBaseline(@TempDir Path shared) throws Exception {
        baselineProgress = new ArrayList<>();
        baseline = train(shared, Map.of(), STEPS, 7, baselineProgress);
    }

    @Test
    void manifestParsesWithTheAgreedSettings() throws Exception {
        Manifest m = TinyLmSeed.manifest();

        assertThat(m.getName()).isEqualTo(TinyLmSeed.NAME);
        assertThat(m.getCommandList()).containsExactly("java", "Train.java");
        assertThat(m.getBudget().getKindCase()).isEqualTo(Budget.KindCase.STEPS);
        assertThat(m.getMetric().getName()).isEqualTo("val_bpb");
        assertThat(m.getMetric().getLowerIsBetter()).isTrue();
        assertThat(m.getMetric().getTolerance()).isPositive();
        assertThat(m.getEditableFilesList()).containsExactlyInAnyOrder("Train.java", "config.properties");
        assertThat(m.getHardwareClass()).isEqualTo("any");
        assertThat(m.getBrief()).isEqualTo("BRIEF.md");
        assertThat(Manifests.quorum(m)).isEqualTo(1);
        assertThat(m.getTimeoutSeconds()).isEqualTo(120);
        assertThat(m.getKnobsList()).extracting(Knob::getName)
                .contains("learning_rate", "hidden_width", "context_length");
        assertThat(Manifests.parse(new String(TinyLmSeed.files().get(Manifests.FILE_NAME), StandardCharsets.UTF_8)))
                .isEqualTo(m);
    }

    @Test
    void everyKnobHasADefaultInsideItsRange() throws IOException {
        Properties config = new Properties();
        config.load(new StringReader(new String(TinyLmSeed.files().get("config.properties"), StandardCharsets.UTF_8)));

        for (Knob k : TinyLmSeed.manifest().getKnobsList()) {
            assertThat(config.getProperty(k.getName())).as(k.getName()).isNotNull();
            double value = Double.parseDouble(config.getProperty(k.getName()));
            assertThat(value).as(k.getName()).isBetween(k.getMin(), k.getMax());
            if (k.getInteger()) {
                assertThat(value).as(k.getName()).isEqualTo(Math.rint(value));
            }
        }
    }

    @Test
    void filesAreEveryFileOfTheSeedDirectory() throws IOException, URISyntaxException {
        Path resources = Path.of(TinyLmSeed.class.getResource(TinyLmSeed.RESOURCE_DIR).toURI());
        List<String> onDisk;
        try (Stream<Path> files = Files.list(resources)) {
            onDisk = files.map(p -> p.getFileName().toString()).sorted().toList();
        }

        assertThat(TinyLmSeed.files().keySet()).containsExactlyElementsOf(onDisk);
        assertThat(TinyLmSeed.files().get("Train.java")).isEqualTo(Files.readAllBytes(resources.resolve("Train.java")));
    }

    @Test
    void trainingBeatsUniformStaysAboveTheFloorAndReportsProgress() {
        double floor = TinyLmSeed.entropyFloor();

        assertThat(baseline.outcome.steps()).hasValue(STEPS);
        assertThat(baseline.valBpb()).isGreaterThan(floor).isLessThan(UNIFORM_BPB);
        assertThat(baselineProgress).contains("step 30/300 loss", "step 300/300 loss", "---");
    }

    @Test
    void printedEntropyFloorIsTheSeedsFloor() {
        assertThat(baseline.value("entropy_floor")).isCloseTo(TinyLmSeed.entropyFloor(), within(5e-7));
    }

    @Test
    void sameSeedRepeatsBitForBitAndAnotherSeedDoesNot() throws Exception {
        Run again = train(dir.resolve("again"), Map.of(), STEPS, 7, new ArrayList<>());
        Run otherSeed = train(dir.resolve("other"), Map.of(), STEPS, 8, new ArrayList<>());

        assertThat(again.line("val_bpb")).isEqualTo(baseline.line("val_bpb"));
        assertThat(otherSeed.line("val_bpb")).isNotEqualTo(baseline.line("val_bpb"));
    }

    @Test
    void betterKnobsBeatTheDeliberatelyMediocreDefaults() throws Exception {
        Run better = train(dir, Map.of("learning_rate", "0.003", "context_length", "3"), STEPS, 7, new ArrayList<>());

        assertThat(better.valBpb()).isLessThan(baseline.valBpb() - 0.2).isGreaterThan(TinyLmSeed.entropyFloor());
    }

    @Test
    void divergingRunPrintsFailAndCrashes() throws Exception {
        Run run = train(dir, Map.of("learning_rate", "1e6"), 50, 7, new ArrayList<>());

        assertThat(run.outcome.status()).isEqualTo(Result.Status.CRASH);
        assertThat(run.outcome.exitCode()).isNotZero();
        assertThat(run.log).contains("val_bpb: FAIL");
    }

    /** A checkout of the seed with some knobs changed, trained as a node would run it. */
    private static Run train(Path checkout, Map<String, String> knobs, long steps, long seed, List<String> progress)
            throws IOException, InterruptedException {
        Files.createDirectories(checkout);
        for (Map.Entry<String, byte[]> file : TinyLmSeed.files().entrySet()) {
            Files.write(checkout.resolve(file.getKey()), file.getValue());
        }
        Path config = checkout.resolve("config.properties");
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(config)) {
            String key = line.contains("=") ? line.substring(0, line.indexOf('=')) : "";
            lines.add(knobs.containsKey(key) ? key + "=" + knobs.get(key) : line);
        }
        Files.write(config, lines);

        Manifest m = TinyLmSeed.manifest();
        Path log = checkout.resolve("run.log");
        JobSpec spec = new JobSpec(checkout, m.getCommandList(),
                BudgetEnv.of(Budget.newBuilder().setSteps(steps).build(), seed),
                Duration.ofSeconds(m.getTimeoutSeconds()), log, m.getMetric().getName());
        JobOutcome outcome = new JobRunner(new dev.rhizome.node.job.PlainLauncher()).run(spec, line -> progress.add(line.replaceAll("loss .*", "loss")));
        return new Run(outcome, Files.readString(log));
    }

    private record Run(JobOutcome outcome, String log) {
        double valBpb() {
            assertThat(outcome.status()).as(log).isEqualTo(Result.Status.OK);
            return outcome.metric().getAsDouble();
        }

        double value(String key) {
            return new MetricParser(key).parse(log).orElseThrow();
        }

        String line(String key) {
            return log.lines().filter(l -> l.startsWith(key + ":")).reduce((a, b) -> b).orElseThrow();
        }
    }
}
