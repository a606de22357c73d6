package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.BwrapLauncher;
import dev.rhizome.node.job.JobDirs;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.SandboxProbe;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * A harnessed seed evaluated by a node whose jobs run as a uid of their own (a subordinate uid's, run
 * by {@code HarnessedJobUidTest} as a test-only user; a root node's, run as root), through the node's
 * real launcher, under whatever umask the JVM was started with (the test gives 027). The model trains
 * (writing its weights, and a 0700 directory as {@code tempfile.mkdtemp} makes, with the job's umask),
 * then serves from its read-only checkout while the seed's harness, run from the harness directory the
 * node wrote, scores it. Prints {@code KEY value} lines.
 */
public final class HarnessedJobUidCheck {
    private static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org");

    private HarnessedJobUidCheck() {
    }

    public static void main(String[] args) throws Exception {
        String name = args[0];
        Path home = Files.createTempDirectory("harness-uid-node");
        Identity runner = Identity.generate();
        try (NodeRepository repo = NodeRepository.open(home.resolve("repo"))) {
            BundleFetcher bundles = new BundleFetcher(repo, runner, PeerConfig.defaults(),
                    new TransferLog(home.resolve("transfers.log")));
            try {
                BwrapLauncher launcher = SandboxProbe.launcher().atCallersPriority();
                System.out.println("LAUNCHER_SUBORDINATE " + launcher.subordinateUids() + " OWN_UID " + launcher.plan().ownUid());
                Path jobDir = launcher.prepareJobDir("harness-uid-" + name);
                JobRunner slot = new JobRunner(launcher).forSlot(0);
                Path workRoot = jobDir.resolve("slot-0");
                Evaluator evaluator = new Evaluator(runner, repo,
                        new CommitFetcher(bundles, new CoordinatorClient("http://127.0.0.1:1", runner)), slot,
                        slot.launcher(), "cpu-test", workRoot, home.resolve("logs"), Clock.systemUTC());
                // Training keeps its weights in a 0700 directory of its own, and reads them back when it serves.
                String training = "import tempfile\nd = tempfile.mkdtemp(dir='.')\nopen(d + '/w', 'w').write('uniform')\n"
                        + "open('where.txt', 'w').write(d)";
                String serving = "assert open(open('where.txt').read() + '/w').read() == 'uniform'";
                String seed = repo.commitFiles(null, Map.of("harness.py", bytes(HarnessedEvaluationTest.HARNESS),
                        "model.py", bytes(HarnessedEvaluationTest.model("", "")), "rhizome.json", bytes("{}")), "seed", AUTHOR);
                String commit = repo.commitFiles(seed, Map.of("model.py",
                        bytes(HarnessedEvaluationTest.model(training, serving))), "a change", AUTHOR);

                Result r = evaluator.evaluate(unit(seed, commit));

                System.out.println("STATUS " + r.getStatus() + " METRIC " + r.getMetric() + " MEASURED_BY "
                        + r.getMeasuredBy() + " STEPS " + r.getSteps());
                System.out.println("REASON " + r.getReason().replace('\n', '|'));
                try (Stream<Path> logs = Files.list(home.resolve("logs"))) {
                    for (Path log : logs.toList()) {
                        System.out.println("LOG " + Files.readString(log).replace('\n', '|'));
                    }
                }
                try (Stream<Path> left = Files.list(workRoot)) {
                    System.out.println("LEFT " + left.toList());
                }
                JobDirs.deleteTree(jobDir);
            } finally {
                bundles.close();
            }
        } finally {
            JobDirs.deleteTree(home);
        }
    }

    private static WorkUnit unit(String seed, String commit) {
        // The job runs as another uid, through bubblewrap, on a loaded machine: more time than the plain test's.
        return HarnessedEvaluationTest.unit(seed, commit,
                HarnessedEvaluationTest.manifest().toBuilder().setTimeoutSeconds(240).build());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
