package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
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
import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.protocol.identity.Identity;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A job's {@code step} lines reach the node's own log (the volunteer's window on progress), which is
 * not the job's: that log rolls at 10 MB and keeps 200 MB in all, and every step line went there, so a
 * job whose 16 MiB of output are 2.8 million six-byte step lines would roll away the volunteer's two
 * weeks of history (and print as many lines to a terminal running the node). They go out within a
 * {@link WarnBudget} of the job's own: ten a minute, the rest at debug level.
 */
class StepLinesTest {
    private static final String FLOOD = """
            import sys
            out = sys.stdout
            for i in range(20000):
                out.write('step %d\\n' % i)
            out.write('val_bpb: 1.0\\n')
            """;

    @TempDir
    Path dir;

    @Test
    void aJobPrintingStepLinesWithoutEndWritesAFewToTheNodesLog() throws Exception {
        Identity me = Identity.generate();
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger evaluatorLog = (Logger) LoggerFactory.getLogger(Evaluator.class);
        try (NodeRepository repo = NodeRepository.open(dir.resolve("repo"))) {
            BundleFetcher bundles = new BundleFetcher(repo, me, PeerConfig.defaults(), new TransferLog(dir.resolve("transfers.log")));
            try {
                Evaluator evaluator = new Evaluator(me, repo, new CommitFetcher(bundles, new CoordinatorClient("http://127.0.0.1:1", me)),
                        new JobRunner(PlainLauncher.atCallersPriority()), PlainLauncher.atCallersPriority(), "cpu-test",
                        dir.resolve("work"), dir.resolve("logs"), Clock.systemUTC());
                String commit = repo.commitFiles(null, Map.of("train.py", FLOOD.getBytes(StandardCharsets.UTF_8)), "seed",
                        new PersonIdent("Ada", "ada@example.org"));
                Manifest manifest = Manifest.newBuilder().setName("py-test").addAllCommand(List.of("python3", "train.py"))
                        .setBudget(Budget.newBuilder().setSteps(7))
                        .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true)).setTimeoutSeconds(120)
                        .build();
                logged.start();
                evaluatorLog.addAppender(logged);

                Result r = evaluator.evaluate(HarnessedEvaluationTest.unit(commit, commit, manifest));

                assertThat(r.getStatus()).as(r.getReason()).isEqualTo(Result.Status.OK);
                assertThat(r.getMetric()).isEqualTo(1.0);
                List<String> steps = logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.INFO))
                        .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(" step ")).toList();
                // The job runs in seconds: one minute's budget, and the first lines are among them.
                assertThat(steps).as("step lines in the node's log").hasSizeBetween(1, WarnBudget.PER_WINDOW)
                        .first().asString().endsWith(" step 0");
            } finally {
                evaluatorLog.detachAppender(logged);
                bundles.close();
            }
        }
    }
}
