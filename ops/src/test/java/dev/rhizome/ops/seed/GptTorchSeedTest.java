package dev.rhizome.ops.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.rhizome.node.job.BudgetEnv;
import dev.rhizome.node.job.HarnessedOutcome;
import dev.rhizome.node.job.HarnessedRunner;
import dev.rhizome.node.job.HarnessedSpec;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Knob;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.seed.Manifests;
import dev.rhizome.protocol.seed.MetricParser;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gpt-torch as a node runs it, with real PyTorch on the CPU (Debian's python3-torch): a tiny
 * configuration, a few steps, the metric from the protected harness.
 */
class GptTorchSeedTest {
    /** Small enough for a busy CI core: 2 layers of 32 wide, 64 tokens of context. */
    private static final Map<String, String> TINY = Map.of("n_layer", "2", "n_head", "2", "head_dim", "16",
            "block_size", "64", "batch_size", "8");

    @TempDir
    Path dir;

    @Test
    void manifestIsHarnessedAndEveryKnobHasADefaultInsideItsRange() throws Exception {
        Manifest m = GptTorchSeed.manifest();

        assertThat(Manifests.harnessed(m)).isTrue();
        assertThat(m.getTrainCommandList()).containsExactly("python3", "train.py");
        assertThat(m.getServeCommandList()).containsExactly("python3", "train.py", "--serve");
        assertThat(m.getHarnessCommandList()).containsExactly("python3", "harness.py");
        assertThat(m.getProtectedFilesList()).containsExactlyInAnyOrder("harness.py", "source.py");
        assertThat(m.getEditableFilesList()).containsExactlyInAnyOrder("train.py", "config.properties");
        assertThat(SeedPublisher.manifestOf(GptTorchSeed.files())).isEqualTo(m);
        Properties config = new Properties();
        config.load(new StringReader(new String(GptTorchSeed.files().get("config.properties"), StandardCharsets.UTF_8)));
        for (Knob k : m.getKnobsList()) {
            double value = Double.parseDouble(config.getProperty(k.getName()));
            assertThat(value).as(k.getName()).isBetween(k.getMin(), k.getMax());
        }
        assertThat(BuiltinSeeds.files(GptTorchSeed.NAME).orElseThrow().keySet())
                .containsExactlyElementsOf(GptTorchSeed.files().keySet());
        assertThat(BuiltinSeeds.files("gpt-tourch")).isEmpty();
    }

    @Test
    void filesAreEveryFileOfTheSeedDirectory() throws Exception {
        Path resources = Path.of(GptTorchSeed.class.getResource(GptTorchSeed.RESOURCE_DIR).toURI());
        List<String> onDisk;
        try (Stream<Path> files = Files.list(resources)) {
            onDisk = files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("__pycache__")).sorted().toList();
        }

        assertThat(GptTorchSeed.files().keySet()).containsExactlyElementsOf(onDisk);
    }

    @Test
    void aTinyConfigurationTrainsOnTheCpuAndTheHarnessMeasuresIt() throws Exception {
        Path checkout = Files.createDirectories(dir.resolve("checkout"));
        Path harnessDir = Files.createDirectories(dir.resolve("harness"));
        for (Map.Entry<String, byte[]> file : GptTorchSeed.files().entrySet()) {
            Files.write(checkout.resolve(file.getKey()), file.getValue());
        }
        for (String name : GptTorchSeed.manifest().getProtectedFilesList()) {
            Files.write(harnessDir.resolve(name), GptTorchSeed.files().get(name));
        }
        List<String> config = new ArrayList<>();
        for (String line : Files.readAllLines(checkout.resolve("config.properties"))) {
            String key = line.contains("=") ? line.substring(0, line.indexOf('=')) : "";
            config.add(TINY.containsKey(key) ? key + "=" + TINY.get(key) : line);
        }
        Files.write(checkout.resolve("config.properties"), config);
        // A lying line, to show it is not what counts.
        Files.writeString(checkout.resolve("train.py"), Files.readString(checkout.resolve("train.py"))
                .replace("print(f\"device: {DEVICE}\")", "print(f\"device: {DEVICE}\")\n    print(\"val_bpb: 0.1\")"));

        Manifest m = GptTorchSeed.manifest();
        List<String> progress = new ArrayList<>();
        HarnessedSpec spec = new HarnessedSpec(checkout, harnessDir, dir.resolve("result"), m.getPrepareCommandList(),
                m.getTrainCommandList(), m.getServeCommandList(), m.getHarnessCommandList(),
                BudgetEnv.of(Budget.newBuilder().setSteps(20).build(), 3), SeedRunBudget.of(m),
                dir.resolve("run.log"), m.getMetric().getName());
        PlainLauncher launcher = PlainLauncher.atCallersPriority();  // the seed is tested, not the priority (TinyLmSeedTest)
        HarnessedOutcome run = new HarnessedRunner(new JobRunner(launcher), launcher).run(spec, progress::add);
        String log = Files.readString(dir.resolve("run.log"));

        assertThat(run.outcome().status()).as(log).isEqualTo(Result.Status.OK);
        assertThat(run.outcome().steps()).hasValue(20);
        assertThat(log).contains("val_bpb: 0.1", "peak_vram_mb:", "training_seconds:", "device: cpu");
        assertThat(progress).contains("---").anyMatch(l -> l.startsWith("step 20/20 loss"));
        double floor = new MetricParser("entropy_floor").parse(log).orElseThrow();
        double oracle = new MetricParser("oracle_bpb").parse(log).orElseThrow();
        assertThat(floor).isCloseTo(2.325156, within(1e-6));
        assertThat(oracle).isCloseTo(floor, within(0.2));
        // 20 steps learn little: between the floor and a uniform guess over 256 tokens.
        assertThat(run.outcome().metric().getAsDouble()).isGreaterThan(oracle).isLessThan(8.5);
    }
}
