package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.work.ReceiptBook;
import dev.rhizome.ops.audit.AuditExport;
import dev.rhizome.ops.audit.ReceiptedTrial;
import dev.rhizome.proto.v1.AuditEnd;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real `rhizome` command: `node receipts --out` writes what a node's data directory keeps (the
 * book its work loop fills from the coordinator's answers), and `verify --receipts` passes an
 * honest export and fails, exit 1, one with a receipted result removed, naming it as a Receipt.
 */
class ReceiptsCliTest {
    @TempDir
    Path dir;

    @Test
    void nodeReceiptsAndVerifyReceiptsCatchARemovedResult() throws Exception {
        Identity operator = Identity.generate();
        Path node = dir.resolve("node");
        ReceiptBook book = new ReceiptBook(new NodeLayout(node).receipts());
        Path audit = dir.resolve("audit.jsonl");
        String dropped = null;
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withOperators(Set.of(operator.publicId())))) {
            for (KeptReceipt k : ReceiptedTrial.reportTwoReplicas(c.url(), operator)) {
                book.keep(k.getReceipt(), k.getResult());
                dropped = Envelopes.id(k.getResult());
            }
            CliRun export = CliRun.of("export", "--out", audit.toString(), "--coordinator", c.url());
            assertThat(export.code()).as(export.err()).isZero();
        }
        Path receipts = dir.resolve("receipts.jsonl");
        CliRun written = CliRun.of("node", "receipts", "--out", receipts.toString(), "--data-dir", node.toString(), "--json");
        assertThat(written.code()).as(written.err()).isZero();
        JsonObject answer = written.json();
        assertThat(answer.get("receipts").getAsInt()).isEqualTo(2);
        assertThat(answer.get("file").getAsString()).isEqualTo(receipts.toString());

        CliRun clean = CliRun.of("verify", audit.toString(), "--receipts", receipts.toString());
        assertThat(clean.code()).as(clean.out() + clean.err()).isZero();
        assertThat(clean.out()).contains("2 receipt(s) checked");

        String removed = dropped;
        List<AuditLine> lines = ReceiptedTrial.withoutEnvelope(AuditExport.read(audit), removed);
        List<String> text = new ArrayList<>(lines.stream().map(Json::compact).toList());
        text.add(Json.compact(AuditLine.newBuilder().setEnd(AuditEnd.newBuilder().setLines(lines.size())).build()));
        Path doctored = Files.write(dir.resolve("doctored.jsonl"), text);
        CliRun caught = CliRun.of("verify", doctored.toString(), "--receipts", receipts.toString(), "--json");
        assertThat(caught.code()).as(caught.out() + caught.err()).isEqualTo(ExitCodes.FAILED);
        assertThat(caught.json().getAsJsonArray("problems").asList()).anySatisfy(p -> {
            assertThat(p.getAsJsonObject().get("type").getAsString()).isEqualTo("Receipt");
            assertThat(p.getAsJsonObject().get("id").getAsString()).isEqualTo(removed);
            assertThat(p.getAsJsonObject().get("why").getAsString()).contains("is not in the export");
        });

        CliRun missing = CliRun.of("verify", audit.toString(), "--receipts", dir.resolve("absent.jsonl").toString());
        assertThat(missing.code()).isNotZero();
        assertThat(missing.err()).contains("absent.jsonl");
    }
}
