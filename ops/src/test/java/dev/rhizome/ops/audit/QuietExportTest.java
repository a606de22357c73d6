package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.support.LogCapture;
import dev.rhizome.protocol.identity.Identity;
import java.net.URI;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        List<String> said;
        try (LogCapture log = LogCapture.everyLevel()) {
            try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                    .withOperators(Set.of(operator.publicId())))) {
                String seedCommit = HexFormat.of().formatHex(new byte[20]).replace('0', 'a');
                TinyLmDirection.open(c.url(), operator, seedCommit, TinyLmDirection.manifest(3));

                AuditExport.Summary summary = AuditExport.export(URI.create(c.url()), dir.resolve("audit.jsonl"),
                        System.currentTimeMillis(), n -> { });
                assertThat(summary.confirmationsUnavailable()).as("the look found the list served").isFalse();
                assertThat(summary.directions()).isEqualTo(1);
            }
            said = log.complaints();  // the coordinator's stop included
        }
        assertThat(said).as("what the coordinator said of a well-formed export").isEmpty();
    }
}
