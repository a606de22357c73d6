package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Seed;
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
            CoordinatorClient op = new CoordinatorClient(c.url(), operator);
            String seedCommit = HexFormat.of().formatHex(new byte[20]).replace('0', 'a');
            Manifest manifest = Manifest.newBuilder().setName("tiny-lm").addCommand("java").addCommand("Train.java")
                    .setBudget(Budget.newBuilder().setSteps(400)).setRandomSeed(42).setAdoptionSeeds(3)
                    .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true).setTolerance(0.002)
                            .setMin(0).setMax(64))
                    .addEditableFiles("config.properties").setHardwareClass("any").setTimeoutSeconds(60).setQuorum(2)
                    .build();
            long now = System.currentTimeMillis();
            op.publishSeed(Seed.newBuilder().setName("tiny-lm").setCommit(seedCommit).setManifest(manifest)
                    .setPublisher(operator.publicId().toByteString()).setPublishedMs(now).build());
            op.openDirection(Direction.newBuilder().setName("lr").setSeed("tiny-lm").setBaseCommit(seedCommit)
                    .setOpenedBy(operator.publicId().toByteString()).setOpenedMs(now).build());

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
