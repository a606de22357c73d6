package dev.rhizome.node.job;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.node.work.CommitFetcher;
import dev.rhizome.node.work.Evaluator;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.core.ConditionTimeoutException;
import org.eclipse.jgit.lib.PersonIdent;

/**
 * Two jobs of one node's run through the node's {@link Evaluator}, its job directories of this start
 * ({@link NodeJobDirs}) and its real launcher, in whichever job-user mode this JVM's user gets, run by
 * {@link JobDirPerJobTest}. Each job prints its checkout's host path as its {@code /proc/self/mountinfo}
 * shows it. Prints {@code KEY value} lines.
 */
public final class JobDirPerJobCheck {
    private static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org");
    private static final String JOB = """
            for line in open('/proc/self/mountinfo'):
                f = line.split(' ')
                if f[4] == '/job':
                    print('CHECKOUT', f[3])
            print('val_bpb: 1.0')
            """;

    private JobDirPerJobCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Files.createTempDirectory("per-job-node");
        BwrapLauncher launcher = SandboxProbe.launcher().atCallersPriority();
        System.out.println("MODE subordinate=" + launcher.subordinateUids() + " own=" + launcher.plan().ownUid());
        Path keyFile = home.resolve("jobs.name");
        NodeJobDirs dirs = launcher.startNodeJobDirs(keyFile);
        String key = Files.readString(keyFile).strip();
        JobRunner slot = new JobRunner(launcher).forSlot(0);
        Identity runner = Identity.generate();
        try (NodeRepository repo = NodeRepository.open(home.resolve("repo"));
                BundleFetcher bundles = new BundleFetcher(repo, runner, PeerConfig.defaults(),
                        new TransferLog(home.resolve("transfers.log")))) {
            Evaluator evaluator = new Evaluator(runner, repo,
                    new CommitFetcher(bundles, new CoordinatorClient("http://127.0.0.1:1", runner)), slot,
                    slot.launcher(), "cpu-test", dirs, home.resolve("logs"), Clock.systemUTC(), Map.of());
            String commit = repo.commitFiles(null, Map.of("job.py", JOB.getBytes(StandardCharsets.UTF_8)), "seed", AUTHOR);
            for (String id : List.of("unit-a", "unit-b")) {
                Result r = evaluator.evaluate(unit(id, commit));
                System.out.println("STATUS " + r.getStatus());
                Files.readString(Evaluator.logFile(home.resolve("logs"), id)).lines()
                        .forEach(l -> System.out.println("JOB| " + l));
            }
            System.out.println("START " + dirs.dir());
            System.out.println("KEY " + key);
            try {
                // deleted off the slot's path (NodeJobDirs.done): gone soon after the job, not as it ends
                await().atMost(Duration.ofSeconds(60)).until(() -> taggedWith(key).size() == 1);
            } catch (ConditionTimeoutException stillThere) {
                // printed below, for the test to say
            }
            System.out.println("TAGGED_AFTER " + taggedWith(key));
            // A node killed during a job left its directory: the next start finds it by the key's tag.
            Path leftBehind = dirs.next();
            Files.writeString(Files.createDirectory(leftBehind.resolve("checkout")).resolve("f"), "x");
            System.out.println("LEFT_BEHIND_FOUND " + JobDirs.leftovers(key).contains(leftBehind));
        } finally {
            ((BwrapLauncher) slot.launcher()).releaseUid();
            for (Path left : taggedWith(key)) {
                JobDirs.deleteTree(left);
            }
            JobDirs.deleteTree(home);
        }
    }

    /** The temporary directory's job directories of {@code key}. */
    static List<Path> taggedWith(String key) throws Exception {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(JobDirs.tmpDir(), JobDirNames.PREFIX + "*")) {
            for (Path p : s) {
                if (JobDirNames.madeWith(p.getFileName().toString(), key)) {
                    found.add(p);
                }
            }
        }
        return found;
    }

    private static WorkUnit unit(String id, String commit) {
        Manifest manifest = Manifest.newBuilder()
                .setName("paths")
                .addAllCommand(List.of("python3", "job.py"))
                .setBudget(Budget.newBuilder().setSteps(1))
                .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true))
                .setTimeoutSeconds(240)
                .build();
        return WorkUnit.newBuilder()
                .setId(id)
                .setKind(WorkUnit.Kind.EVALUATE)
                .setSeed("paths")
                .setDirection("main")
                .setCommit(commit)
                .setSeedCommit(commit)
                .setManifest(manifest)
                .setBudget(manifest.getBudget())
                .setRandomSeed(42)
                .setAttempt(1)
                .setProposer(ByteString.copyFrom(new byte[32]))
                .build();
    }
}
