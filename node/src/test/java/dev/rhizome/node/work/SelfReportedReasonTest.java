package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single-command seed's (autoresearch's own train.py) failed run reaches the network with its
 * reason, as a harnessed seed's does: the result said CRASH and nothing else, and the proposer,
 * reading it with `rhizome log` or `submit --wait`, could not tell a bug from a machine's fault.
 */
class SelfReportedReasonTest {
    private static final String TRAIN = """
            import sys
            print('step 1/10 loss 3.2')
            x = 1 / 0
            """;

    @TempDir
    Path dir;

    @Test
    void aCrashedSelfReportedRunCarriesItsExitAndItsTraceback() throws Exception {
        Identity me = Identity.generate();
        try (NodeRepository repo = NodeRepository.open(dir.resolve("repo"))) {
            BundleFetcher bundles = new BundleFetcher(repo, me, PeerConfig.defaults(), new TransferLog(dir.resolve("transfers.log")));
            try {
                Evaluator evaluator = new Evaluator(me, repo, new CommitFetcher(bundles, new CoordinatorClient("http://127.0.0.1:1", me)),
                        new JobRunner(PlainLauncher.atCallersPriority()), PlainLauncher.atCallersPriority(), "cpu-test",
                        dir.resolve("work"), dir.resolve("logs"), Clock.systemUTC());
                String commit = repo.commitFiles(null, Map.of("train.py", TRAIN.getBytes(StandardCharsets.UTF_8)), "seed",
                        new PersonIdent("Ada", "ada@example.org"));
                Manifest manifest = Manifest.newBuilder().setName("py-test").addAllCommand(List.of("python3", "train.py"))
                        .setBudget(Budget.newBuilder().setSteps(7))
                        .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true)).setTimeoutSeconds(120)
                        .build();

                Result r = evaluator.evaluate(HarnessedEvaluationTest.unit(commit, commit, manifest));

                assertThat(r.getStatus()).isEqualTo(Result.Status.CRASH);
                assertThat(r.getMeasuredBy()).isEqualTo(Result.Measurement.SELF_REPORTED);
                assertThat(r.getReason()).startsWith("exited with status 1; its output's last lines: ")
                        .contains("x = 1 / 0").endsWith("ZeroDivisionError: division by zero");
            } finally {
                bundles.close();
            }
        }
    }
}
