package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.protocol.identity.Identity;
import java.net.URI;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code rhizome audit export} asks only what it means: its look for whether the coordinator serves
 * confirmations was {@code /v1/confirmations?direction=-}, a direction never opened, which the
 * coordinator answered 404 and logged as a refusal ("unknown direction -") on every export. An
 * operator reading the coordinator's log saw a client error where there was none.
 */
class QuietExportTest {
    @TempDir
    Path dir;

    @Test
    void anExportMakesTheCoordinatorRefuseAndWarnNothing() throws Exception {
        Identity operator = Identity.generate();
        Logger coordinatorLog = (Logger) LoggerFactory.getLogger("dev.rhizome.coordinator");
        Level before = coordinatorLog.getLevel();
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        // Every level: a refusal's line is WARN only within a budget shared by the whole JVM, DEBUG past it.
        coordinatorLog.setLevel(Level.DEBUG);
        coordinatorLog.addAppender(lines);
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withOperators(Set.of(operator.publicId())))) {
            String seedCommit = HexFormat.of().formatHex(new byte[20]).replace('0', 'a');
            TinyLmDirection.open(c.url(), operator, seedCommit, TinyLmDirection.manifest(3));

            AuditExport.Summary summary = AuditExport.export(URI.create(c.url()), dir.resolve("audit.jsonl"),
                    System.currentTimeMillis(), n -> { });
            assertThat(summary.confirmationsUnavailable()).as("the look found the list served").isFalse();
            assertThat(summary.directions()).isEqualTo(1);
        } finally {
            coordinatorLog.detachAppender(lines);
            coordinatorLog.setLevel(before);
            lines.stop();
        }
        List<String> said;
        synchronized (lines) {
            said = lines.list.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN) || e.getFormattedMessage().contains("refused with"))
                    .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()).toList();
        }
        assertThat(said).as("what the coordinator said of a well-formed export").isEmpty();
    }
}
