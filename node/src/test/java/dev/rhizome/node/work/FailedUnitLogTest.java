package dev.rhizome.node.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.job.JobRunner;
import dev.rhizome.node.job.PlainLauncher;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Printable;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Round 36: a unit that fails on a file a job named logs "work unit failed" with the failure, whose message is the
 * JDK's and holds the name as the job wrote it. The node's log gets it printable (no escape that clears the
 * volunteer's terminal or sets its clipboard, no line break that forges a log line), its stack trace kept.
 */
class FailedUnitLogTest {
    @TempDir
    Path dir;

    @Test
    void aFailureNamingAJobsFileReachesTheLogPrintable() throws Exception {
        // A name a job can give a directory of its tree; the delete of it, not empty, fails naming it.
        Path chosen = Files.createDirectories(dir.resolve("tree").resolve(
                "x\u001b]52;c;cm0gLXJmIH4K\u0007\u001b[2J\r12:00:00 INFO unit ok\n\u202Egnp.exe"));
        Files.writeString(chosen.resolve("f"), "kept");
        WorkUnit unit = WorkUnit.newBuilder().setId("u").setKind(WorkUnit.Kind.EXPLORE).setSeed("s").setDirection("d")
                .setCommit("ab".repeat(20)).setSeedCommit("ab".repeat(20))
                .setLeaseDeadlineMs(System.currentTimeMillis() + 3_600_000).build();
        OneUnitWork work = new OneUnitWork(unit) {
            @Override
            public void explore(WorkUnit u) throws Exception {
                explored.incrementAndGet();
                Files.delete(chosen);
            }
        };
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger slotLog = (Logger) LoggerFactory.getLogger(SlotWorker.class);
        logged.start();
        slotLog.addAppender(logged);
        ExecutorService prefetcher = Executors.newCachedThreadPool();
        try (NodeRepository repo = NodeRepository.open(dir.resolve("repo"))) {
            Evaluator evaluator = new Evaluator(Identity.generate(), repo, null, new JobRunner(PlainLauncher.atCallersPriority()),
                    PlainLauncher.atCallersPriority(), "cpu-test", dir.resolve("work"), dir.resolve("logs"), Clock.systemUTC());
            SlotWorker worker = new SlotWorker(new Slot("cpu0", "cpu-test", Optional.empty()), evaluator, work, true, false,
                    new UnitBuffer(dir.resolve("buffer")), new RuntimeEstimates(), prefetcher, dir.resolve("logs"),
                    Clock.systemUTC());
            Thread thread = new Thread(worker, "slot");
            thread.start();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> failures(logged).size() > 0);
            } finally {
                work.stop.set(true);
                thread.interrupt();
                thread.join(10_000);
            }
        } finally {
            slotLog.detachAppender(logged);
            prefetcher.shutdownNow();
        }

        ILoggingEvent failed = failures(logged).get(0);
        List<String> messages = new ArrayList<>();
        for (IThrowableProxy t = failed.getThrowableProxy(); t != null; t = t.getCause()) {
            messages.add(t.getMessage());
            assertThat(t.getStackTraceElementProxyArray()).as("its stack trace is kept").isNotEmpty();
        }
        assertThat(messages).isNotEmpty().allSatisfy(m -> assertThat(Printable.firstUnsafe(m.replace("\n", ""))).as(m)
                .isEqualTo(-1)).noneMatch(m -> m.contains("\n"));
        assertThat(messages.get(0)).contains("java.nio.file.DirectoryNotEmptyException",
                "x?]52;c;cm0gLXJmIH4K??[2J?12:00:00 INFO unit ok??gnp.exe");
        assertThat(chosen.resolve("f")).hasContent("kept");
    }

    private static List<ILoggingEvent> failures(ListAppender<ILoggingEvent> logged) {
        return logged.list.stream().filter(e -> e.getLevel() == Level.ERROR
                && e.getFormattedMessage().contains("work unit failed")).toList();
    }
}
