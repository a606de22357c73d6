package dev.rhizome.node.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two jobs of one node's run, through the node's evaluator and real sandbox, read their checkouts' host
 * paths in {@code /proc/self/mountinfo} (the kernel prints them; nothing the sandbox binds hides them):
 * beyond the temporary directory they share no name, so neither can tell that the other ran on the same
 * node. A job directory kept for the node's run, with each slot's checkouts in it, was the same name in
 * every job's mountinfo. Each job's directory is one of the start's key, so a node killed during a job
 * finds it at its next start, and it is gone once the job is done.
 */
class JobDirPerJobTest {
    private static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org");
    private static final String JOB = """
            for line in open('/proc/self/mountinfo'):
                f = line.split(' ')
                if f[4] == '/job':
                    print('CHECKOUT', f[3])
            print('val_bpb: 1.0')
            """;

    @TempDir
    Path tmp;

    @Test
    void twoJobsOfOneNodeRunShareNoNameInTheirCheckoutsHostPaths() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 runs the job");
        SandboxReport report = SandboxProbe.probe();
        assumeTrue(report.ok(), () -> "this machine cannot sandbox jobs:\n" + report.whyNot());
        BwrapLauncher launcher = SandboxProbe.launcher().atCallersPriority();
        Path keyFile = tmp.resolve("jobs.name");
        NodeJobDirs dirs = launcher.startNodeJobDirs(keyFile);
        String key = Files.readString(keyFile).strip();
        JobRunner slot = new JobRunner(launcher).forSlot(0);
        Identity runner = Identity.generate();
        try (NodeRepository repo = NodeRepository.open(tmp.resolve("repo"));
                BundleFetcher bundles = new BundleFetcher(repo, runner, PeerConfig.defaults(),
                        new TransferLog(tmp.resolve("transfers.log")))) {
            Evaluator evaluator = new Evaluator(runner, repo,
                    new CommitFetcher(bundles, new CoordinatorClient("http://127.0.0.1:1", runner)), slot,
                    slot.launcher(), "cpu-test", dirs, tmp.resolve("logs"), Clock.systemUTC(), Map.of());
            String commit = repo.commitFiles(null, Map.of("job.py", JOB.getBytes(StandardCharsets.UTF_8)), "seed", AUTHOR);

            List<Path> seen = new ArrayList<>();
            for (String id : List.of("unit-a", "unit-b")) {
                Result r = evaluator.evaluate(unit(id, commit));
                String log = Files.readString(Evaluator.logFile(tmp.resolve("logs"), id));
                assertThat(r.getStatus()).as(log).isEqualTo(Result.Status.OK);
                List<String> lines = log.lines().filter(l -> l.startsWith("CHECKOUT ")).toList();
                assertThat(lines).as(log).hasSize(1);
                seen.add(Path.of(lines.get(0).substring("CHECKOUT ".length())));
            }

            Path a = seen.get(0);
            Path b = seen.get(1);
            // <the temporary directory within its file system>/rhizome-<nonce><tag>/<16 hex>, both names new per job
            assertThat(a.toString()).matches(".*/rhizome-[0-9a-f]{32}/[0-9a-f]{16}");
            assertThat(a.getParent().getParent()).as("the temporary directory, and nothing below it in common")
                    .isEqualTo(b.getParent().getParent());
            assertThat(a.getParent().getFileName()).isNotEqualTo(b.getParent().getFileName());
            assertThat(a.getFileName()).isNotEqualTo(b.getFileName());
            for (Path p : seen) {
                assertThat(p.toString()).doesNotContain(dirs.dir().getFileName().toString());
                assertThat(JobDirNames.madeWith(p.getParent().getFileName().toString(), key))
                        .as("tagged with this start's key, found by the next start").isTrue();
            }
            assertThat(taggedWith(key)).as("each job's directory is gone once it is done").containsExactly(dirs.dir());

            // A node killed during a job left its directory: the next start finds it by the key's tag.
            Path leftBehind = dirs.next();
            Files.writeString(Files.createDirectory(leftBehind.resolve("checkout")).resolve("f"), "x");
            assertThat(JobDirs.leftovers(key)).contains(leftBehind, dirs.dir());
        } finally {
            ((BwrapLauncher) slot.launcher()).releaseUid();
            for (Path left : taggedWith(key)) {
                JobDirs.deleteTree(left);
            }
        }
    }

    /** The temporary directory's job directories of {@code key}. */
    private static List<Path> taggedWith(String key) throws Exception {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of(System.getProperty("java.io.tmpdir")),
                JobDirNames.PREFIX + "*")) {
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
