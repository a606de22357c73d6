package dev.rhizome.ops.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rhizome.node.job.BudgetEnv;
import dev.rhizome.node.job.HarnessedOutcome;
import dev.rhizome.node.job.HarnessedRunner;
import dev.rhizome.node.job.HarnessedSpec;
import dev.rhizome.node.job.JobOutcome;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
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
        assertThat(Manifests.harnessed(m)).isTrue();
        assertThat(m.getTrainCommandList()).containsExactly("java", "Train.java");
        assertThat(m.getServeCommandList()).containsExactly("java", "Train.java", "--serve");
        assertThat(m.getHarnessCommandList()).containsExactly("java", "Harness.java", "evaluate");
        assertThat(m.getPrepareCommandList()).containsExactly("java", "Harness.java", "prepare");
        assertThat(m.getProtectedFilesList()).containsExactly("Harness.java");
        assertThat(m.getBudget().getKindCase()).isEqualTo(Budget.KindCase.STEPS);
        assertThat(m.getMetric().getName()).isEqualTo("val_bpb");
        assertThat(m.getMetric().getLowerIsBetter()).isTrue();
        assertThat(m.getMetric().getTolerance()).isPositive();
        assertThat(m.getMetric().getMin()).as("bits per byte: never below 0").isZero();
        assertThat(m.getMetric().getMax()).as("Harness.java's MAX_BPB: what it reports at most").isEqualTo(64);
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
        // The reason says how it ended and shows the run's own last words (job.JobReason).
        assertThat(run.reason).startsWith("training exited with status ").contains("loss is Infinity");
    }

    @Test
    void aFakeMetricPrintedByTheModelIsIgnoredAndTheHarnessMeasuresTheSameModel() throws Exception {
        String liar = trainJava().replace("System.out.println(\"---\");",
                "System.out.println(\"---\"); System.out.println(\"val_bpb: 0.1\");")
                .replace("Model model = Model.load(MODEL);", "Model model = Model.load(MODEL); System.err.println(\"val_bpb: 0.1\");");
        assertThat(liar).isNotEqualTo(trainJava());

        Run run = train(dir, Map.of(), STEPS, 7, new ArrayList<>(), liar);

        assertThat(run.log).contains("val_bpb: 0.1");
        assertThat(run.line("val_bpb")).isEqualTo(baseline.line("val_bpb"));
        assertThat(run.valBpb()).isEqualTo(baseline.valBpb());
    }

    @Test
    void aModelThatMemorisedTheHeldOutStreamsGetsNoMetric() throws Exception {
        // The held-out streams follow from the public Harness.java: this "model" regenerates them and
        // predicts every character with certainty, far below what the source itself allows.
        String harness = new String(TinyLmSeed.files().get("Harness.java"), StandardCharsets.UTF_8);
        String cheat = harness.replace("public class Harness {", "public class Train {")
                .replace("case \"evaluate\" -> evaluateForNode();", "case \"evaluate\" -> System.out.println(\"num_steps: 0\");")
                .replace("case \"run\" -> runByHand();", "case \"--serve\" -> cheat();")
                .replace("    static final class Source {", """
                    static void cheat() throws IOException {
                        Source source = new Source();
                        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
                        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out));
                        in.readLine();
                        List<Source.Stream> streams = new ArrayList<>();
                        for (int i = 0; i < STREAMS; i++) {
                            streams.add(source.sample(LENGTH + 1, VAL_SEED * 1_000_003L + i));
                        }
                        ByteBuffer frame = ByteBuffer.allocate(STREAMS * Source.V * 4).order(ByteOrder.LITTLE_ENDIAN);
                        for (int t = 0; in.readLine() != null; t++) {
                            frame.clear();
                            for (Source.Stream s : streams) {
                                for (int x = 0; x < Source.V; x++) {
                                    frame.putFloat(x == s.tokens()[t + 1] ? 0f : -30f);
                                }
                            }
                            out.write(frame.array());
                            out.flush();
                        }
                    }

                    static final class Source {""");

        Run run = train(dir, Map.of(), STEPS, 7, new ArrayList<>(), cheat);

        assertThat(run.outcome.status()).as(run.log).isEqualTo(Result.Status.CRASH);
        assertThat(run.outcome.metric()).isEmpty();
        assertThat(run.reason).contains("has seen the held-out streams");
    }

    private static String trainJava() {
        return new String(TinyLmSeed.files().get("Train.java"), StandardCharsets.UTF_8);
    }

    private static Run train(Path root, Map<String, String> knobs, long steps, long seed, List<String> progress)
            throws IOException, InterruptedException {
        return train(root, knobs, steps, seed, progress, trainJava());
    }

    /**
     * A checkout of the seed with some knobs changed and Train.java replaced, trained and then
     * measured by the seed's harness, as a node runs it (the harness from its own directory).
     */
    private static Run train(Path root, Map<String, String> knobs, long steps, long seed, List<String> progress,
            String trainJava) throws IOException, InterruptedException {
        Path checkout = Files.createDirectories(root.resolve("checkout"));
        Path harnessDir = Files.createDirectories(root.resolve("harness"));
        for (Map.Entry<String, byte[]> file : TinyLmSeed.files().entrySet()) {
            Files.write(checkout.resolve(file.getKey()), file.getValue());
        }
        Files.writeString(checkout.resolve("Train.java"), trainJava);
        for (String name : TinyLmSeed.manifest().getProtectedFilesList()) {
            Files.write(harnessDir.resolve(name), TinyLmSeed.files().get(name));
        }
        Path config = checkout.resolve("config.properties");
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(config)) {
            String key = line.contains("=") ? line.substring(0, line.indexOf('=')) : "";
            lines.add(knobs.containsKey(key) ? key + "=" + knobs.get(key) : line);
        }
        Files.write(config, lines);

        Manifest m = TinyLmSeed.manifest();
        Path log = root.resolve("run.log");
        HarnessedSpec spec = new HarnessedSpec(checkout, harnessDir, root.resolve("result"), m.getPrepareCommandList(),
                m.getTrainCommandList(), m.getServeCommandList(), m.getHarnessCommandList(),
                BudgetEnv.of(Budget.newBuilder().setSteps(steps).build(), seed),
                SeedRunBudget.of(m), log, m.getMetric().getName());
        // At the test's own priority: what is tested is the seed, and its budget grows with the load
        // per core, a share that a job at nice 19 does not get of a machine busy with builds.
        PlainLauncher launcher = PlainLauncher.atCallersPriority();
        HarnessedOutcome outcome = new HarnessedRunner(new JobRunner(launcher), launcher)
                .run(spec, line -> progress.add(line.replaceAll("loss .*", "loss")));
        return new Run(outcome.outcome(), Files.readString(log), outcome.reason());
    }

    private record Run(JobOutcome outcome, String log, String reason) {
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
