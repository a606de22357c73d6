package dev.rhizome.ops.audit;

import com.google.protobuf.ByteString;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.identity.Identity;
import java.util.ArrayList;
import java.util.List;

/**
 * What the receipt tests audit: on a real coordinator whose operator is {@code operator}, the
 * tiny-lm seed at a made-up base with direction "lr", and the base's trial (quorum 2) reported by
 * two runners at 3.2, each signed result kept with the receipt its {@code Ack} carried, as a
 * node's receipt book keeps them. Shared by ops' verifier test and the client's command test.
 */
public final class ReceiptedTrial {
    /** The made-up base commit the seed is published at. */
    public static final String BASE = "a".repeat(40);

    private ReceiptedTrial() {
    }

    /** The two runners' results with their receipts, in the order they were reported. */
    public static List<KeptReceipt> reportTwoReplicas(String url, Identity operator) throws Exception {
        TinyLmDirection.open(url, operator, BASE, TinyLmDirection.manifest(1));
        List<KeptReceipt> kept = new ArrayList<>();
        for (Identity runner : List.of(Identity.generate(), Identity.generate())) {
            CoordinatorClient client = new CoordinatorClient(url, runner);
            WorkUnit u = client.claim(ClaimRequest.newBuilder().setNode(runner.publicId().toByteString())
                    .setHardwareClass("cpu:x86_64").setTimeMs(System.currentTimeMillis()).build()).getUnit();
            SignedEnvelope result = client.signed(Result.newBuilder().setWorkUnitId(u.getId()).setSeed(u.getSeed())
                    .setDirection(u.getDirection()).setCommit(u.getCommit()).setStatus(Result.Status.OK)
                    .setMetricName("val_bpb").setMetric(3.2).setHardwareClass("cpu:x86_64").setRuntimeMs(1500)
                    .setLogSha256(ByteString.copyFrom(new byte[32])).setRunner(runner.publicId().toByteString())
                    .setTimeMs(System.currentTimeMillis()).setBudget(u.getBudget()).setRandomSeed(u.getRandomSeed())
                    .build());
            Ack ack = client.reportResult(result);
            kept.add(KeptReceipt.newBuilder().setReceipt(ack.getReceipt()).setResult(result).build());
        }
        return kept;
    }

    /** An export's lines with the envelope {@code id} taken out and the later ones renumbered: a dropped result. */
    public static List<AuditLine> withoutEnvelope(List<AuditLine> lines, String id) {
        List<AuditLine> out = new ArrayList<>();
        long index = 0;
        for (AuditLine l : lines) {
            if (l.hasEnvelope() && l.getId().equals(id)) {
                continue;
            }
            out.add(l.hasEnvelope() ? l.toBuilder().setIndex(index++).build() : l);
        }
        return out;
    }
}
