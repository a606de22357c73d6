package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export taken while a trial has a replica out holds its reported result as a sealed place
 * (index and id, no envelope) and verifies, counting it; a later export holds the envelope at the
 * same index and verifies against the earlier one; a later export whose envelope there hashes to
 * another id is caught (Reveal), as is one checked against the receipt alone. A real coordinator
 * on loopback (SQLite).
 */
class SealedExportVerifyTest {
    @TempDir
    Path dir;

    private static SignedEnvelope report(CoordinatorClient client, Identity runner, WorkUnit u, double metric)
            throws Exception {
        return client.signed(Result.newBuilder().setWorkUnitId(u.getId()).setSeed(u.getSeed())
                .setDirection(u.getDirection()).setCommit(u.getCommit()).setStatus(Result.Status.OK)
                .setMetricName("val_bpb").setMetric(metric).setHardwareClass("cpu:x86_64").setRuntimeMs(1500)
                .setLogSha256(ByteString.copyFrom(new byte[32])).setRunner(runner.publicId().toByteString())
                .setTimeMs(System.currentTimeMillis()).setBudget(u.getBudget()).setRandomSeed(u.getRandomSeed())
                .build());
    }

    private static WorkUnit claim(CoordinatorClient client, Identity runner) throws Exception {
        return client.claim(ClaimRequest.newBuilder().setNode(runner.publicId().toByteString())
                .setHardwareClass("cpu:x86_64").setTimeMs(System.currentTimeMillis()).build()).getUnit();
    }

    @Test
    void anExportWhileATrialIsOutVerifiesWithItsSealedPlaceAndALaterOneRevealsTheSameId() throws Exception {
        Identity operator = Identity.generate();
        Path early = dir.resolve("early.jsonl");
        Path late = dir.resolve("late.jsonl");
        KeptReceipt receipt;
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withOperators(Set.of(operator.publicId())))) {
            TinyLmDirection.open(c.url(), operator, ReceiptedTrial.BASE, TinyLmDirection.manifest(1));
            Identity first = Identity.generate();
            Identity second = Identity.generate();
            CoordinatorClient one = new CoordinatorClient(c.url(), first);
            CoordinatorClient two = new CoordinatorClient(c.url(), second);
            WorkUnit u1 = claim(one, first);
            SignedEnvelope r1 = report(one, first, u1, 3.2);
            Ack ack = one.reportResult(r1);
            receipt = KeptReceipt.newBuilder().setReceipt(ack.getReceipt()).setResult(r1).build();
            WorkUnit u2 = claim(two, second);

            AuditExport.export(URI.create(c.url()), early, System.currentTimeMillis(), n -> { });
            two.reportResult(report(two, second, u2, 3.2));
            AuditExport.export(URI.create(c.url()), late, System.currentTimeMillis(), n -> { });
        }
        List<AuditLine> before = AuditExport.read(early);
        AuditLine sealed = before.stream().filter(AuditLine::hasSealedEnvelope).findFirst().orElseThrow();
        assertThat(sealed.getId()).isEqualTo(Envelopes.id(receipt.getResult()));
        assertThat(before).as("the metric is in no line").noneSatisfy(l -> assertThat(l.hasEnvelope()
                && l.getEnvelope().equals(receipt.getResult())).isTrue());
        AuditVerifier.Report undecided = AuditVerifier.verify(before, List.of(receipt));
        assertThat(undecided.problems()).as("sealed places verify, the receipt's too").isEmpty();
        assertThat(undecided.sealed()).isEqualTo(1);

        List<AuditLine> after = AuditExport.read(late);
        AuditLine revealed = after.stream().filter(l -> l.hasEnvelope() && l.getIndex() == sealed.getIndex())
                .findFirst().orElseThrow();
        assertThat(revealed.getEnvelope()).isEqualTo(receipt.getResult());
        AuditVerifier.Report decided = AuditVerifier.verify(after, List.of(receipt), before);
        assertThat(decided.problems()).isEmpty();
        assertThat(decided.sealed()).isZero();
        assertThat(decided.results()).isEqualTo(2);

        // the coordinator serves another result where it named this one's id
        SignedEnvelope other = Envelopes.sign(Identity.generate(), revealed.getEnvelope().getNetwork(),
                Result.newBuilder().setMetric(3.0).build());
        List<AuditLine> swapped = new ArrayList<>();
        for (AuditLine l : after) {
            swapped.add(l == revealed ? l.toBuilder().setEnvelope(other).setId(Envelopes.id(other)).build() : l);
        }
        assertThat(AuditVerifier.verify(swapped, List.of(), before).problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Reveal");
            assertThat(p.index()).isEqualTo(sealed.getIndex());
            assertThat(p.id()).isEqualTo(sealed.getId());
            assertThat(p.why()).contains("changed after it was sealed");
        });
        assertThat(AuditVerifier.verify(swapped, List.of(receipt)).problems()).as("the receipt alone catches it too")
                .anySatisfy(p -> assertThat(p.type()).isEqualTo("Receipt"));
    }
}
