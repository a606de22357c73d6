package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.work.ReceiptBook;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.AuditEnd;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.ops.audit.AuditExport;
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
        Manifest manifest = Manifest.newBuilder().setName("tiny-lm").addCommand("java").addCommand("Train.java")
                .setBudget(Budget.newBuilder().setSteps(400)).setRandomSeed(42).setAdoptionSeeds(1)
                .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true).setTolerance(0.002)
                        .setMin(0).setMax(64))
                .addEditableFiles("config.properties").setHardwareClass("any").setTimeoutSeconds(60).setQuorum(2)
                .build();
        Path node = dir.resolve("node");
        ReceiptBook book = new ReceiptBook(new NodeLayout(node).receipts());
        Path audit = dir.resolve("audit.jsonl");
        String dropped = null;
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withOperators(Set.of(operator.publicId())))) {
            CoordinatorClient op = new CoordinatorClient(c.url(), operator);
            long now = System.currentTimeMillis();
            String base = "b".repeat(40);
            op.publishSeed(Seed.newBuilder().setName("tiny-lm").setCommit(base).setManifest(manifest)
                    .setPublisher(operator.publicId().toByteString()).setPublishedMs(now).build());
            op.openDirection(Direction.newBuilder().setName("lr").setSeed("tiny-lm").setBaseCommit(base)
                    .setOpenedBy(operator.publicId().toByteString()).setOpenedMs(now).build());
            for (Identity runner : List.of(Identity.generate(), Identity.generate())) {
                CoordinatorClient client = new CoordinatorClient(c.url(), runner);
                WorkUnit u = client.claim(ClaimRequest.newBuilder().setNode(runner.publicId().toByteString())
                        .setHardwareClass("cpu:x86_64").setTimeMs(System.currentTimeMillis()).build()).getUnit();
                SignedEnvelope result = client.signed(Result.newBuilder().setWorkUnitId(u.getId()).setSeed(u.getSeed())
                        .setDirection(u.getDirection()).setCommit(u.getCommit()).setStatus(Result.Status.OK)
                        .setMetricName("val_bpb").setMetric(3.2).setHardwareClass("cpu:x86_64").setRuntimeMs(1500)
                        .setLogSha256(ByteString.copyFrom(new byte[32])).setRunner(runner.publicId().toByteString())
                        .setTimeMs(System.currentTimeMillis()).setBudget(u.getBudget()).setRandomSeed(u.getRandomSeed())
                        .build());
                Ack ack = client.reportResult(result);
                book.keep(ack.getReceipt(), result);
                dropped = Envelopes.id(result);
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
        List<AuditLine> lines = new ArrayList<>();
        long index = 0;
        for (AuditLine l : AuditExport.read(audit)) {
            if (l.hasEnvelope() && l.getId().equals(removed)) {
                continue;
            }
            lines.add(l.hasEnvelope() ? l.toBuilder().setIndex(index++).build() : l);
        }
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
