package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.Confinement;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.node.job.ProcessLauncher;
import dev.rhizome.node.peer.BundleFetcher;
import dev.rhizome.node.peer.PeerConfig;
import dev.rhizome.node.peer.TransferLog;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A harnessed seed evaluated the way a node does it, with real child processes: a small Python
 * harness (protected) that streams tokens and scores a model (editable) which answers uniformly,
 * so the honest metric is exactly log2(4) = 2 bits. The liars below try to change that number.
 */
class HarnessedEvaluationTest {
    private static final PersonIdent AUTHOR = new PersonIdent("Ada", "ada@example.org");

    /** The seed's harness: 3 streams of 40 tokens over 4 symbols, each revealed after its prediction. */
    static final String HARNESS = """
            import math, os, struct, sys
            V, B, T = 4, 3, 40
            def token(i, t): return (i + t * (i + 1)) % V
            def finish(text, code):
                path = os.environ.get("RHIZOME_RESULT_FILE")
                if path:
                    with open(path, "w") as f: f.write(text)
                sys.stderr.write(text); sys.exit(code)
            out, inp = sys.stdout.buffer, sys.stdin.buffer
            out.write(f"rhizome-eval/1 vocab={V} streams={B} length={T}\\n".encode())
            nats = 0.0
            for t in range(T):
                try:
                    out.write((" ".join(str(token(i, t)) for i in range(B)) + "\\n").encode()); out.flush()
                except BrokenPipeError:
                    finish("error: the model went away\\n", 1)
                frame = inp.read(B * V * 4)
                if len(frame) < B * V * 4:
                    finish(f"error: the model stopped answering in round {t}\\n", 1)
                scores = struct.unpack(f"<{B * V}f", frame)
                for i in range(B):
                    row = scores[i * V:(i + 1) * V]
                    m = max(row)
                    nats += m + math.log(sum(math.exp(s - m) for s in row)) - row[token(i, t + 1)]
            out.close()
            finish(f"val_bpb: {nats / (B * T) / math.log(2):.6f}\\n", 0)
            """;

    /** The proposer's model: "trains" (writes its artefact), then serves uniform scores. */
    static String model(String duringTraining, String beforeEachAnswer) {
        return """
                import os, struct, sys
                if sys.argv[1:] == ["--serve"]:
                    assert open("weights.txt").read() == "uniform"
                    header = sys.stdin.buffer.readline().decode().split()
                    B, V = int(header[2].split("=")[1]), int(header[1].split("=")[1])
                    while True:
                        line = sys.stdin.buffer.readline()
                        if not line: break
                %s
                        sys.stdout.buffer.write(struct.pack(f"<{B * V}f", *([0.0] * (B * V)))); sys.stdout.flush()
                else:
                    open("weights.txt", "w").write("uniform")
                %s
                    print("---"); print("num_steps: 7")
                """.formatted(indent(beforeEachAnswer, 8), indent(duringTraining, 4));
    }

    private static String indent(String code, int spaces) {
        String pad = " ".repeat(spaces);
        return code.isEmpty() ? pad + "pass" : pad + code.replace("\n", "\n" + pad);
    }

    @TempDir
    Path dir;
    private NodeRepository repo;
    private BundleFetcher bundles;
    private final Identity runner = Identity.generate();
    private final List<Confinement> confinements = new CopyOnWriteArrayList<>();
    private Evaluator evaluator;
    private String seedCommit;

    @BeforeEach
    void setUp() throws IOException {
        repo = NodeRepository.open(dir.resolve("repo"));
        bundles = new BundleFetcher(repo, runner, PeerConfig.defaults(), new TransferLog(dir.resolve("transfers.log")));
        CommitFetcher fetcher = new CommitFetcher(bundles, new CoordinatorClient("http://127.0.0.1:1", runner));
        PlainLauncher plain = PlainLauncher.atCallersPriority();
        ProcessLauncher recording = (command, confinement, in, out, err) -> {
            confinements.add(confinement);
            return plain.start(command, confinement, in, out, err);
        };
        evaluator = new Evaluator(runner, repo, fetcher, new JobRunner(PlainLauncher.atCallersPriority()), recording, "cpu-test", dir.resolve("work"),
                dir.resolve("logs"), Clock.systemUTC());
        seedCommit = repo.commitFiles(null, Map.of("harness.py", bytes(HARNESS), "model.py", bytes(model("", "")),
                "rhizome.json", bytes("{}")), "seed", AUTHOR);
    }

    @AfterEach
    void tearDown() {
        bundles.close();
        repo.close();
    }

    @Test
    void theMetricComesFromTheHarness() throws Exception {
        Result r = evaluate(seedCommit);

        assertThat(r.getStatus()).as(r.getReason()).isEqualTo(Result.Status.OK);
        assertThat(r.getMetric()).isEqualTo(2.0);
        assertThat(r.getMeasuredBy()).isEqualTo(Result.Measurement.HARNESS);
        assertThat(r.getSteps()).isEqualTo(7);
        assertThat(r.getReason()).isEmpty();
        assertThat(Files.list(dir.resolve("work"))).as("work dirs are cleaned up").isEmpty();
    }

    /**
     * A metric the seed's range says no run can have is the commit's crash, reported so: sent as OK
     * the coordinator would refuse it, and the unit would stay leased to this node until its deadline.
     */
    @Test
    void aMetricOutsideTheSeedsRangeIsReportedAsTheCommitsCrash() throws Exception {
        Manifest ranged = manifest().toBuilder()
                .setMetric(manifest().getMetric().toBuilder().setMin(0).setMax(1.5)).build();

        Result r = evaluator.evaluate(unit(seedCommit, ranged));

        assertThat(r.getStatus()).isEqualTo(Result.Status.CRASH);
        assertThat(r.getMetric()).as("no metric sent").isZero();
        assertThat(r.getReason()).contains("metric 2.0 is above the seed's metric.max 1.5").contains("[0.0, 1.5]");

        Result inRange = evaluator.evaluate(unit(seedCommit, manifest().toBuilder()
                .setMetric(manifest().getMetric().toBuilder().setMin(0).setMax(64)).build()));
        assertThat(inRange.getStatus()).as(inRange.getReason()).isEqualTo(Result.Status.OK);
        assertThat(inRange.getMetric()).isEqualTo(2.0);
    }

    @Test
    void aFakeMetricLinePrintedByTheEditedCodeIsIgnored() throws Exception {
        String fake = "print('val_bpb: 0.1'); sys.stderr.write('val_bpb: 0.1\\n')";
        String commit = propose(model(fake, "sys.stderr.write('val_bpb: 0.1\\n')"));

        Result r = evaluate(commit);

        assertThat(r.getStatus()).isEqualTo(Result.Status.OK);
        assertThat(r.getMetric()).isEqualTo(2.0);
    }

    @Test
    void trainingCodeThatRewritesTheHarnessInItsCheckoutIsStillMeasuredByTheSeedsHarness() throws Exception {
        String rewrite = "open('harness.py', 'w').write('import os\\nopen(os.environ[\"RHIZOME_RESULT_FILE\"], \"w\")"
                + ".write(\"val_bpb: 0.1\\\\n\")\\n')";
        Result r = evaluate(propose(model(rewrite, "")));

        assertThat(r.getStatus()).as(r.getReason()).isEqualTo(Result.Status.OK);
        assertThat(r.getMetric()).isEqualTo(2.0);
    }

    @Test
    void aModelThatWaitsToSeeTheTokenBeforeAnsweringNeverSeesIt() throws Exception {
        // Reading the next line before answering blocks for ever: the harness reveals token t+1 only after the answer.
        String peek = "sys.stdin.buffer.readline()";
        Result r = evaluate(propose(model("", peek)), 4);

        assertThat(r.getStatus()).isEqualTo(Result.Status.TIMEOUT);
        assertThat(r.getMetric()).isZero();
        assertThat(r.getReason()).contains("timed out");
    }

    @Test
    void aModelThatStopsAnsweringGetsNoMetricAndTheHarnessSaysWhy() throws Exception {
        Result r = evaluate(propose(model("", "if line.startswith(b'1 '): sys.exit(0)")));

        assertThat(r.getStatus()).isEqualTo(Result.Status.CRASH);
        assertThat(r.getReason()).contains("the harness says: the model stopped answering in round");
    }

    @Test
    void theModelGetsNoWritableDirectoryAndNeverLearnsWhereTheResultGoes() throws Exception {
        evaluate(seedCommit);

        // Two launches: the harness, then the model. A sandboxing launcher enforces what these say.
        assertThat(confinements).hasSize(2);
        Confinement harness = confinements.get(0);
        Confinement model = confinements.get(1);
        assertThat(harness.writable()).hasSize(1);
        Path resultDir = harness.writable().get(0);
        assertThat(model.writable()).isEmpty();
        assertThat(model.env()).doesNotContainKey("RHIZOME_RESULT_FILE");
        assertThat(model.env().values()).noneMatch(v -> v.contains(resultDir.getFileName().toString()));
        assertThat(resultDir.startsWith(model.workDir())).isFalse();
        assertThat(harness.workDir()).isNotEqualTo(model.workDir());
        assertThat(harness.env()).containsEntry("RHIZOME_RANDOM_SEED", "42");
    }

    @Test
    void aCommitThatTouchesTheHarnessIsRefusedWithTheReason() throws Exception {
        String commit = repo.commitFiles(seedCommit, Map.of("harness.py", bytes(HARNESS + "\n# kinder\n")),
                "a kinder harness", AUTHOR);

        Result r = evaluate(commit);

        assertThat(r.getStatus()).isEqualTo(Result.Status.REFUSED);
        assertThat(r.getReason()).contains("harness.py").contains("protected");
        assertThat(confinements).as("nothing ran").isEmpty();
    }

    @Test
    void aCommitOutsideTheEditableFilesIsRefusedWithTheReason() throws Exception {
        String commit = repo.commitFiles(seedCommit, Map.of("notes.txt", bytes("hi")), "notes", AUTHOR);

        Result r = evaluate(commit);

        assertThat(r.getStatus()).isEqualTo(Result.Status.REFUSED);
        assertThat(r.getReason()).contains("notes.txt").contains("editable: model.py");
    }

    @Test
    void aStrangersFileNameWithTerminalEscapesNeverReachesAJobAndIsNamedWithoutThem() {
        // git forbids only NUL and '/' in a name: this one sets the clipboard (OSC 52) and forges a log
        // line. Such a tree is refused before it is a commit here (as at import: TreeNames), and the
        // refusal shows the name without its escapes.
        String name = "notes\u001b]52;c;cm0gLXJmIH4=\u0007\n12:00:00 INFO all is well\u001b[2J.txt";

        assertThatThrownBy(() -> repo.commitFiles(seedCommit, Map.of(name, bytes("hi")), "notes", AUTHOR))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("notes?]52;c;cm0gLXJmIH4=??12:00:00 INFO all is well?[2J.txt")
                .message().doesNotContain("\u001b", "\u0007", "\n");
    }

    @Test
    void aSingleCommandSeedIsMarkedSelfReported() throws Exception {
        Manifest weak = manifest().toBuilder().clearTrainCommand().clearServeCommand().clearHarnessCommand()
                .clearProtectedFiles().addAllCommand(List.of("python3", "-c", "print('val_bpb: 0.1')")).build();

        Result r = evaluator.evaluate(unit(seedCommit, weak));

        assertThat(r.getStatus()).isEqualTo(Result.Status.OK);
        assertThat(r.getMetric()).isEqualTo(0.1);
        assertThat(r.getMeasuredBy()).isEqualTo(Result.Measurement.SELF_REPORTED);
    }

    private String propose(String modelSource) throws IOException {
        return repo.commitFiles(seedCommit, Map.of("model.py", bytes(modelSource)), "a change", AUTHOR);
    }

    private Result evaluate(String commit) throws Exception {
        return evaluate(commit, 60);
    }

    private Result evaluate(String commit, int timeoutSeconds) throws Exception {
        return evaluator.evaluate(unit(commit, manifest().toBuilder().setTimeoutSeconds(timeoutSeconds).build()));
    }

    /** The harnessed seed's manifest; {@link HarnessedJobUidCheck} evaluates under it too. */
    static Manifest manifest() {
        return Manifest.newBuilder()
                .setName("py-test")
                .addAllTrainCommand(List.of("python3", "model.py"))
                .addAllServeCommand(List.of("python3", "model.py", "--serve"))
                .addAllHarnessCommand(List.of("python3", "harness.py"))
                .addProtectedFiles("harness.py")
                .addEditableFiles("model.py")
                .setBudget(Budget.newBuilder().setSteps(7))
                .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true))
                .setTimeoutSeconds(60)
                .build();
    }

    private WorkUnit unit(String commit, Manifest manifest) {
        return unit(seedCommit, commit, manifest);
    }

    /** An evaluation of {@code commit} (a child of {@code seed}) under {@code manifest}. */
    static WorkUnit unit(String seed, String commit, Manifest manifest) {
        return WorkUnit.newBuilder()
                .setId("unit-" + commit.substring(0, 8))
                .setKind(WorkUnit.Kind.EVALUATE)
                .setSeed("py-test")
                .setDirection("main")
                .setCommit(commit)
                .setParent(seed)
                .setSeedCommit(seed)
                .setManifest(manifest)
                .setBudget(manifest.getBudget())
                .setRandomSeed(42)
                .setAttempt(1)
                .setProposer(ByteString.copyFrom(new byte[32]))
                // Someone else, so the fetcher tries the (already held) commit without asking the coordinator.
                .addPeers(PeerEndpoint.newBuilder().setNode(ByteString.copyFrom(new byte[32])).setHost("127.0.0.1")
                        .setPort(1))
                .build();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
