package dev.rhizome.ops.audit;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.KeptReceipt;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultReceipt;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.envelope.SignatureException;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.envelope.WrongNetworkException;
import dev.rhizome.protocol.identity.PublicId;
import dev.rhizome.protocol.seed.Manifests;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a node's receipts ({@code rhizome node receipts}) against an export: each must be signed
 * by a receipt key the export's header names, for the export's network, and name the result kept
 * beside it; then that result must be in the export at the receipt's index. A receipt's index is
 * its result's key in the trail less one: its position on a store without gaps (SQLite), a bound
 * it never sits past on PostgreSQL (a rolled-back insert leaves a gap). So a result missing
 * (dropped, or altered: another id) or found after its index (moved later, where it no longer
 * counted for what was decided before it) is named; and its trial is judged again with it put back
 * at its index, naming the trial whose outcome that changes.
 */
final class ReceiptCheck {
    private ReceiptCheck() {
    }

    static List<AuditVerifier.Problem> check(List<AuditLine> lines, List<KeptReceipt> receipts) {
        List<AuditVerifier.Problem> problems = new ArrayList<>();
        if (lines.isEmpty() || !lines.get(0).hasHeader()) {
            return problems;  // the verifier names the missing header
        }
        String network = lines.get(0).getHeader().getNetwork();
        Set<ByteString> keys = new HashSet<>(lines.get(0).getHeader().getReceiptKeysList());
        Map<String, Long> positions = new HashMap<>();
        List<AuditLine> envelopes = new ArrayList<>();
        Map<String, Manifest> manifests = new HashMap<>();
        for (AuditLine line : lines) {
            if (line.hasSealedEnvelope()) {
                // sealed when exported: its place and id stand for it (its kept result hashes to the id)
                positions.put(line.getId(), line.getIndex());
            }
            if (line.hasEnvelope()) {
                positions.put(line.getId(), line.getIndex());
                envelopes.add(line);
                if (line.getEnvelope().getType().equals("rhizome.v1.Seed")) {
                    try {
                        Seed s = Seed.parseFrom(line.getEnvelope().getPayload());
                        manifests.put(s.getName(), s.getManifest());
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        // the verifier names it
                    }
                }
            }
        }
        int n = 0;
        for (KeptReceipt kept : receipts) {
            n++;
            Verified<ResultReceipt> receipt;
            try {
                receipt = Envelopes.open(kept.getReceipt(), ResultReceipt.getDefaultInstance());
                Envelopes.requireNetwork(receipt, network);
            } catch (SignatureException | WrongNetworkException e) {
                problems.add(new AuditVerifier.Problem("Receipt", n, "", "refused: " + e.getMessage()));
                continue;
            }
            ResultReceipt r = receipt.record();
            String id = r.getEnvelopeId();
            if (!keys.contains(kept.getReceipt().getSigner())) {
                problems.add(new AuditVerifier.Problem("Receipt", n, id, "signed by "
                        + receipt.signer().shortForm() + ", which is no receipt key this export names "
                        + "(not a coordinator of this store: a forged receipt)"));
                continue;
            }
            if (!r.getNetwork().equals(network)) {
                problems.add(new AuditVerifier.Problem("Receipt", n, id, "names network " + r.getNetwork()
                        + ", not this export's " + network));
                continue;
            }
            Verified<Result> result;
            try {
                result = Envelopes.openSignedBy(kept.getResult(), Result.getDefaultInstance(), Result::getRunner);
            } catch (SignatureException e) {
                problems.add(new AuditVerifier.Problem("Receipt", n, id, "the result kept beside it does not open: "
                        + e.getMessage()));
                continue;
            }
            if (!Envelopes.id(kept.getResult()).equals(id)) {
                problems.add(new AuditVerifier.Problem("Receipt", n, id, "the result kept beside it is another ("
                        + Envelopes.id(kept.getResult()) + ")"));
                continue;
            }
            Long at = positions.get(id);
            if (at != null && at <= r.getAuditIndex()) {
                continue;
            }
            String where = at == null ? "is not in the export (dropped, or altered after it was accepted)"
                    : "is at position " + at + ", after its receipt's index (moved later than accepted)";
            problems.add(new AuditVerifier.Problem("Receipt", r.getAuditIndex(), id, "result of "
                    + PublicId.of(result.record().getRunner().toByteArray()).shortForm() + " accepted at "
                    + r.getTimeMs() + " ms " + where + rejudged(result.record(), id, r.getAuditIndex(), envelopes,
                            manifests)));
        }
        return problems;
    }

    /** "; its trial ... would be X, not Y" where putting the result back at {@code index} changes the outcome. */
    private static String rejudged(Result result, String id, long index, List<AuditLine> envelopes,
            Map<String, Manifest> manifests) {
        Manifest m = manifests.get(result.getSeed());
        if (m == null) {
            return "";
        }
        List<Trials.Entry> without = new ArrayList<>();
        List<Trials.Entry> with = new ArrayList<>();
        boolean placed = false;
        for (AuditLine line : envelopes) {
            if (!placed && line.getIndex() >= index) {
                with.add(new Trials.Entry(id, result));
                placed = true;
            }
            if (!line.getEnvelope().getType().equals("rhizome.v1.Result") || line.getId().equals(id)) {
                continue;
            }
            Result other;
            try {
                other = Result.parseFrom(line.getEnvelope().getPayload());
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                continue;
            }
            if (other.getCommit().equals(result.getCommit()) && other.getRandomSeed() == result.getRandomSeed()) {
                without.add(new Trials.Entry(line.getId(), other));
                with.add(new Trials.Entry(line.getId(), other));
            }
        }
        if (!placed) {
            with.add(new Trials.Entry(id, result));
        }
        int quorum = Manifests.quorum(m);
        double tolerance = m.getMetric().getTolerance();
        String was = describe(Trials.judge(without, quorum, tolerance, Set.of()), result.getHardwareClass());
        String would = describe(Trials.judge(with, quorum, tolerance, Set.of()), result.getHardwareClass());
        String trial = "; its trial (" + result.getCommit() + " at seed " + Long.toUnsignedString(result.getRandomSeed())
                + ", " + result.getHardwareClass() + ")";
        return was.equals(would) ? trial + " is " + was + " with it or without it"
                : trial + " would be " + would + " with it, not " + was + " as the export has it";
    }

    private static String describe(List<Trials.Outcome> outcomes, String hardwareClass) {
        Optional<Trials.Outcome> o = outcomes.stream().filter(x -> x.hardwareClass().equals(hardwareClass)).findFirst();
        if (o.isEmpty()) {
            return "without results";
        }
        return o.get().state() + (o.get().decided() && o.get().metric().isPresent()
                ? " at " + o.get().metric().getAsDouble() : "");
    }
}
