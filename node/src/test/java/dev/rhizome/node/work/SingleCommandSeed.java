package dev.rhizome.node.work;

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

/**
 * A single-command seed (autoresearch's shape: {@code python3 train.py}, 7 steps, {@code val_bpb}
 * lower is better) evaluated by a node's real {@link Evaluator} on this machine, unconfined and at
 * the caller's priority, from a repository under a test's directory.
 */
final class SingleCommandSeed {
    private SingleCommandSeed() {
    }

    static Result evaluate(Path dir, String trainPy) throws Exception {
        Identity me = Identity.generate();
        try (NodeRepository repo = NodeRepository.open(dir.resolve("repo"))) {
            BundleFetcher bundles = new BundleFetcher(repo, me, PeerConfig.defaults(), new TransferLog(dir.resolve("transfers.log")));
            try {
                Evaluator evaluator = new Evaluator(me, repo, new CommitFetcher(bundles, new CoordinatorClient("http://127.0.0.1:1", me)),
                        new JobRunner(PlainLauncher.atCallersPriority()), PlainLauncher.atCallersPriority(), "cpu-test",
                        dir.resolve("work"), dir.resolve("logs"), Clock.systemUTC());
                String commit = repo.commitFiles(null, Map.of("train.py", trainPy.getBytes(StandardCharsets.UTF_8)), "seed",
                        new PersonIdent("Ada", "ada@example.org"));
                Manifest manifest = Manifest.newBuilder().setName("py-test").addAllCommand(List.of("python3", "train.py"))
                        .setBudget(Budget.newBuilder().setSteps(7))
                        .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true)).setTimeoutSeconds(120)
                        .build();
                return evaluator.evaluate(HarnessedEvaluationTest.unit(commit, commit, manifest));
            } finally {
                bundles.close();
            }
        }
    }
}
