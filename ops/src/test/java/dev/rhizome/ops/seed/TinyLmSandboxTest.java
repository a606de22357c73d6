package dev.rhizome.ops.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rhizome.node.job.BudgetEnv;
import dev.rhizome.node.job.BwrapLauncher;
import dev.rhizome.node.job.JobDirs;
import dev.rhizome.node.job.JobOutcome;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.HarnessedOutcome;
import dev.rhizome.node.job.HarnessedRunner;
import dev.rhizome.node.job.HarnessedSpec;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.job.SandboxUnavailableException;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed the demo runs works inside the sandbox every node runs it in, all four processes of it
 * (prepare, train, harness, model): the JDK, /etc, the checkout and the harness's files are there.
 */
class TinyLmSandboxTest {
    @TempDir
    Path logs;

    @Test
    void theBundledSeedTrainsAndReportsItsMetricInsideTheSandbox() throws Exception {
        BwrapLauncher sandbox;
        try {
            // At the test's own priority, by a node's route: at a node's (nice 19, idle I/O) the prepare
            // step got next to nothing of a machine busy with builds and ran past any budget.
            sandbox = SandboxProbe.launcher().atCallersPriority();
        } catch (SandboxUnavailableException e) {
            assumeTrue(false, e.getMessage());
            return;
        }
        Path jobs = JobDirs.prepare("tiny-lm-test-" + ProcessHandle.current().pid());
        try {
            // Laid out as a node lays out a job: checkout, the seed's protected files apart, a result directory.
            Path checkout = Files.createDirectory(jobs.resolve("checkout"));
            Path harnessDir = Files.createDirectory(jobs.resolve("harness"));
            for (Map.Entry<String, byte[]> file : TinyLmSeed.files().entrySet()) {
                Files.write(checkout.resolve(file.getKey()), file.getValue());
            }
            Manifest m = TinyLmSeed.manifest();
            for (String name : m.getProtectedFilesList()) {
                Files.write(harnessDir.resolve(name), TinyLmSeed.files().get(name));
            }
            List<String> lines = new ArrayList<>();
            HarnessedSpec spec = new HarnessedSpec(checkout, harnessDir, jobs.resolve("result"),
                    m.getPrepareCommandList(), m.getTrainCommandList(), m.getServeCommandList(),
                    m.getHarnessCommandList(), BudgetEnv.of(Budget.newBuilder().setSteps(20).build(), 7),
                    SeedRunBudget.of(m), logs.resolve("run.log"), m.getMetric().getName());

            // Every phase sandboxed: the prepare step, training, the harness and the model it questions.
            HarnessedOutcome run = new HarnessedRunner(new JobRunner(sandbox), sandbox).run(spec, lines::add);

            JobOutcome outcome = run.outcome();
            assertThat(outcome.status()).as(run.reason() + "\n" + Files.readString(logs.resolve("run.log")))
                    .isEqualTo(Result.Status.OK);
            assertThat(outcome.metric()).isPresent();
            assertThat(outcome.metric().getAsDouble()).isGreaterThan(TinyLmSeed.entropyFloor() - 0.02);
            assertThat(outcome.steps()).hasValue(20);
        } finally {
            JobDirs.delete(jobs);
        }
    }
}
