package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.protocol.WarnBudget;
import java.nio.file.Path;
import java.util.List;
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
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger evaluatorLog = (Logger) LoggerFactory.getLogger(Evaluator.class);
        logged.start();
        evaluatorLog.addAppender(logged);
        try {
            Result r = SingleCommandSeed.evaluate(dir, FLOOD);

            assertThat(r.getStatus()).as(r.getReason()).isEqualTo(Result.Status.OK);
            assertThat(r.getMetric()).isEqualTo(1.0);
            List<String> steps = logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.INFO))
                    .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(" step ")).toList();
            // The job runs in seconds: one minute's budget, and the first lines are among them.
            assertThat(steps).as("step lines in the node's log").hasSizeBetween(1, WarnBudget.PER_WINDOW)
                    .first().asString().endsWith(" step 0");
        } finally {
            evaluatorLog.detachAppender(logged);
        }
    }
}
