package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.service.ResultReceipts;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real coordinator on loopback (SQLite) answers two runners' results of the base's trial with
 * receipts; an export of it verifies with those receipts, and a doctored copy (a result removed,
 * one altered, one moved later) is caught as a Receipt problem naming the result and what its
 * trial would have been with it; a forged receipt and another network's are refused, named.
 */
class ReceiptVerifyTest {
    @TempDir
    Path dir;

    @Test
    void receiptsCatchADroppedAlteredOrMovedResultAndForgedReceiptsAreRefused() throws Exception {
        Identity operator = Identity.generate();
        Path file = dir.resolve("audit.jsonl");
        Path coordinatorDir = dir.resolve("coordinator");
        List<KeptReceipt> kept;
        String network;
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(coordinatorDir)
                .withOperators(Set.of(operator.publicId())))) {
            kept = ReceiptedTrial.reportTwoReplicas(c.url(), operator);
            AuditExport.export(URI.create(c.url()), file, System.currentTimeMillis(), n -> { });
            network = AuditExport.read(file).get(0).getHeader().getNetwork();
        }
        Path receipts = dir.resolve("receipts.jsonl");
        ReceiptFiles.write(receipts, kept);
        assertThat(ReceiptFiles.read(receipts)).as("written and read back whole").isEqualTo(kept);

        List<AuditLine> lines = AuditExport.read(file);
        assertThat(lines.get(0).getHeader().getReceiptKeysCount()).isEqualTo(1);
        AuditVerifier.Report clean = AuditVerifier.verify(lines, kept);
        assertThat(clean.problems()).as("an honest export and its receipts").isEmpty();

        String second = Envelopes.id(kept.get(1).getResult());
        // removed: the trial had its quorum of 2 with it, 1 result without
        List<AuditLine> dropped = ReceiptedTrial.withoutEnvelope(lines, second);
        assertThat(AuditVerifier.verify(dropped, kept).problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Receipt");
            assertThat(p.id()).isEqualTo(second);
            assertThat(p.why()).contains("is not in the export").contains("would be VALID at 3.2 with it, not PENDING");
        });
        assertThat(AuditVerifier.verify(dropped, List.of()).problems()).as("without receipts nothing shows it")
                .noneSatisfy(p -> assertThat(p.type()).isEqualTo("Receipt"));

        // altered: another result in its place (its id changes with any byte the runner signed)
        List<AuditLine> altered = new ArrayList<>(lines);
        for (int i = 0; i < altered.size(); i++) {
            if (altered.get(i).getId().equals(second)) {
                SignedEnvelope other = Envelopes.sign(Identity.generate(), network, Result.newBuilder()
                        .setMetric(3.0).build());
                altered.set(i, altered.get(i).toBuilder().setEnvelope(other).setId(Envelopes.id(other)).build());
            }
        }
        assertThat(AuditVerifier.verify(altered, kept).problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Receipt");
            assertThat(p.id()).isEqualTo(second);
            assertThat(p.why()).contains("is not in the export");
        });

        // moved later: the first result put after the second
        String first = Envelopes.id(kept.get(0).getResult());
        List<AuditLine> moved = new ArrayList<>(ReceiptedTrial.withoutEnvelope(lines, first));
        int afterSecond = indexOfId(moved, second) + 1;
        moved.add(afterSecond, lines.get(indexOfId(lines, first)));
        assertThat(AuditVerifier.verify(renumber(moved), kept).problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Receipt");
            assertThat(p.id()).isEqualTo(first);
            assertThat(p.why()).contains("after its receipt's index");
        });

        // a receipt signed by a key the export does not name: anyone can sign, only the coordinator's count
        ResultReceipt claim = Envelopes.open(kept.get(0).getReceipt(), ResultReceipt.getDefaultInstance()).record();
        KeptReceipt forged = kept.get(0).toBuilder().setReceipt(Envelopes.sign(Identity.generate(), network, claim)).build();
        // one of the coordinator's own key, but made for another network
        Identity coordinatorKey = ResultReceipts.loadKey(coordinatorDir);
        KeptReceipt elsewhere = kept.get(0).toBuilder().setReceipt(Envelopes.sign(coordinatorKey, "another-net",
                claim.toBuilder().setNetwork("another-net").build())).build();
        // the signature broken by one flipped byte of what it signs
        SignedEnvelope broken = kept.get(0).getReceipt().toBuilder()
                .setPayload(claim.toBuilder().setAuditIndex(claim.getAuditIndex() + 5).build().toByteString()).build();
        List<AuditVerifier.Problem> refused = AuditVerifier.verify(lines, List.of(forged, elsewhere,
                kept.get(0).toBuilder().setReceipt(broken).build())).problems();
        assertThat(refused).hasSize(3).allSatisfy(p -> assertThat(p.type()).isEqualTo("Receipt"));
        assertThat(refused.get(0).why()).contains("no receipt key this export names");
        assertThat(refused.get(1).why()).contains("signed for network another-net");
        assertThat(refused.get(2).why()).contains("does not verify");

        Path notReceipts = Files.writeString(dir.resolve("not.jsonl"), Json.compact(lines.get(0)) + "\n");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> ReceiptFiles.read(notReceipts)))
                .hasMessageContaining("line 1 is not a receipt");
    }

    private static int indexOfId(List<AuditLine> lines, String id) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).hasEnvelope() && lines.get(i).getId().equals(id)) {
                return i;
            }
        }
        throw new AssertionError("no envelope " + id);
    }

    private static List<AuditLine> renumber(List<AuditLine> lines) {
        List<AuditLine> out = new ArrayList<>();
        long index = 0;
        for (AuditLine l : lines) {
            out.add(l.hasEnvelope() ? l.toBuilder().setIndex(index++).build() : l);
        }
        return out;
    }
}
