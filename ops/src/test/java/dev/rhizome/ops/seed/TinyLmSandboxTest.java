package dev.rhizome.ops.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.node.job.BudgetEnv;
import dev.rhizome.node.job.BwrapLauncher;
import dev.rhizome.node.job.JobDirs;
import dev.rhizome.node.job.JobOutcome;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.JobSpec;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.job.SandboxUnavailableException;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seed the demo runs works inside the sandbox every node runs it in: the JDK, /etc and the checkout are all there. */
class TinyLmSandboxTest {
    @TempDir
    Path logs;

    @Test
    void theBundledSeedTrainsAndReportsItsMetricInsideTheSandbox() throws Exception {
        BwrapLauncher sandbox;
        try {
            sandbox = SandboxProbe.launcher();
        } catch (SandboxUnavailableException e) {
            assumeTrue(false, e.getMessage());
            return;
        }
        Path jobs = JobDirs.prepare("tiny-lm-test-" + ProcessHandle.current().pid());
        try {
            Path checkout = Files.createDirectory(jobs.resolve("checkout"));
            for (Map.Entry<String, byte[]> file : TinyLmSeed.files().entrySet()) {
                Files.write(checkout.resolve(file.getKey()), file.getValue());
            }
            Manifest m = TinyLmSeed.manifest();
            List<String> lines = new ArrayList<>();

            JobOutcome outcome = new JobRunner(sandbox).run(new JobSpec(checkout, m.getCommandList(),
                    BudgetEnv.of(Budget.newBuilder().setSteps(20).build(), 7), Duration.ofSeconds(m.getTimeoutSeconds()),
                    logs.resolve("run.log"), m.getMetric().getName()), lines::add);

            assertThat(outcome.status()).as(String.join("\n", lines)).isEqualTo(Result.Status.OK);
            assertThat(outcome.metric()).isPresent();
            assertThat(outcome.steps()).hasValue(20);
        } finally {
            JobDirs.delete(jobs);
        }
    }
}
