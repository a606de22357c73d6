package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.core.ConfirmationRule;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.AuditEnd;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.SeedCommitment;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.seed.Manifests;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real coordinator on loopback runs a seed with a baseline, a losing and a winning experiment
 * (2 replicas per trial, 3 seeds), reported by signing runners; its export verifies, and copies
 * with one record changed are refused with that record named.
 */
class AuditVerifyTest {
    @TempDir
    Path dir;

    private final SecureRandom random = new SecureRandom();

    @Test
    void anExportOfARealRunVerifiesAndEveryTamperedRecordIsNamed() throws Exception {
        Identity operator = Identity.generate();
        Identity proposer = Identity.generate();
        List<Identity> runners = List.of(Identity.generate(), Identity.generate(), Identity.generate());
        Manifest manifest = TinyLmDirection.manifest(3);
        String seedCommit = commit();
        String winner = commit();
        String loser = commit();
        Map<String, Double> delta = Map.of(seedCommit, 0.0, winner, -0.05, loser, 0.03);
        Path file = dir.resolve("audit.jsonl");
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withOperators(Set.of(operator.publicId())))) {
            CoordinatorClient op = new CoordinatorClient(c.url(), operator);
            TinyLmDirection.open(c.url(), operator, seedCommit, manifest);
            CoordinatorClient p = new CoordinatorClient(c.url(), proposer);
            for (String commit : List.of(loser, winner)) {
                p.registerExperiment(Experiment.newBuilder().setSeed("tiny-lm").setDirection("lr").setCommit(commit)
                        .setParent(seedCommit).setProposer(proposer.publicId().toByteString())
                        .setCreatedMs(System.currentTimeMillis()).build());
            }
            runAll(c.url(), runners, delta);
            assertThat(op.directions().getDirections(0).getFrontierCommit()).isEqualTo(winner);

            AuditExport.Summary summary = AuditExport.export(URI.create(c.url()), file, System.currentTimeMillis(), n -> { });
            assertThat(summary.adoptions()).isEqualTo(1);
            // 3 commits x 3 trial seeds x 2 replicas, then the winner and the frontier at the 3 seeds of its confirmation
            assertThat(summary.envelopes()).isEqualTo(2 + 2 + 3 * 3 * 2 + 2 * 3 * 2);
            assertThat(summary.confirmationsUnavailable()).isFalse();
            exportFromACoordinatorWithoutConfirmations(c.url());
        }

        List<AuditLine> lines = AuditExport.read(file);
        truncatedCopiesAreToldAsTruncated(file);
        AuditVerifier.Report clean = AuditVerifier.verify(lines);
        assertThat(clean.problems()).isEmpty();
        assertThat(clean.adoptions()).isEqualTo(1);
        assertThat(clean.results()).isEqualTo(30);
        assertThat(clean.confirmationsDrawn()).isZero();
        confirmationsAreReDerived(lines, winner);
        confirmationSeedsAreDerivedNotChosen(lines, manifest);
        decidingResultsAttestTheCommitment(lines, manifest, runners);

        // A result whose metric was edited after signing: its signature no longer holds.
        int resultLine = indexOf(lines, "rhizome.v1.Result", 5);
        AuditLine original = lines.get(resultLine);
        Result r = Result.parseFrom(original.getEnvelope().getPayload());
        SignedEnvelope forged = original.getEnvelope().toBuilder()
                .setPayload(r.toBuilder().setMetric(r.getMetric() - 1).build().toByteString()).build();
        List<AuditLine> tampered = new ArrayList<>(lines);
        tampered.set(resultLine, original.toBuilder().setEnvelope(forged).build());
        AuditVerifier.Report bad = AuditVerifier.verify(writeAndRead(tampered, "forged.jsonl"));
        assertThat(bad.ok()).isFalse();
        assertThat(bad.problems()).anySatisfy(problem -> {
            assertThat(problem.type()).isEqualTo("Result");
            assertThat(problem.index()).isEqualTo(original.getIndex());
            assertThat(problem.id()).isEqualTo(original.getId());
            assertThat(problem.why()).contains("bad signature");
        });

        // A result its own runner signed with a metric outside the seed's range (as a coordinator
        // without the range rule took it): the signature holds, the value is still no trial's.
        Identity signer = runners.stream().filter(id -> id.publicId().toByteString().equals(r.getRunner()))
                .findFirst().orElseThrow();
        SignedEnvelope absurd = Envelopes.sign(signer, original.getEnvelope().getNetwork(),
                r.toBuilder().setMetric(-Double.MAX_VALUE).build());
        List<AuditLine> outOfRange = new ArrayList<>(lines);
        outOfRange.set(resultLine, original.toBuilder().setEnvelope(absurd).build());
        assertThat(AuditVerifier.verify(writeAndRead(outOfRange, "absurd.jsonl")).problems()).anySatisfy(problem -> {
            assertThat(problem.type()).isEqualTo("Result");
            assertThat(problem.index()).isEqualTo(original.getIndex());
            assertThat(problem.why()).contains("metric -1.7976931348623157E308 is below the seed's metric.min 0.0")
                    .doesNotContain("bad signature");
        });

        // A result dropped from the history: the adoption can no longer be derived from what remains.
        List<AuditLine> dropped = new ArrayList<>(lines);
        int winnerResult = -1;
        for (int i = 0; i < dropped.size(); i++) {
            AuditLine l = dropped.get(i);
            if (l.hasEnvelope() && l.getEnvelope().getType().equals("rhizome.v1.Result")
                    && Result.parseFrom(l.getEnvelope().getPayload()).getCommit().equals(winner)) {
                winnerResult = i;
                break;
            }
        }
        dropped.remove(winnerResult);
        AuditVerifier.Report missing = AuditVerifier.verify(renumber(dropped));
        assertThat(missing.problems()).anySatisfy(problem -> {
            assertThat(problem.type()).isEqualTo("Adoption");
            assertThat(problem.id()).isEqualTo("lr@" + winner);
            assertThat(problem.why()).contains("does not adopt");
        });

        // The seed's own envelope edited after signing: everything that depends on it is named,
        // and the adoption (whose rule needs the seed's manifest) too, instead of a crash.
        int seedLine = indexOf(lines, "rhizome.v1.Seed", 0);
        AuditLine seedOriginal = lines.get(seedLine);
        byte[] seedBytes = seedOriginal.getEnvelope().getPayload().toByteArray();
        seedBytes[seedBytes.length - 1] ^= 1;
        List<AuditLine> seedForged = new ArrayList<>(lines);
        seedForged.set(seedLine, seedOriginal.toBuilder().setEnvelope(seedOriginal.getEnvelope().toBuilder()
                .setPayload(com.google.protobuf.ByteString.copyFrom(seedBytes))).build());
        AuditVerifier.Report noSeed = AuditVerifier.verify(seedForged);
        assertThat(noSeed.ok()).isFalse();
        assertThat(noSeed.problems()).anySatisfy(problem -> assertThat(problem.type()).isEqualTo("Seed"));
        assertThat(noSeed.problems()).anySatisfy(problem -> {
            assertThat(problem.type()).isEqualTo("Adoption");
            assertThat(problem.why()).contains("cannot be re-derived");
        });

        // A result the coordinator's trials list as TOO_LATE (it came after its unit was re-leased to
        // another key) is no replica: without it the adoption can't be derived either.
        String lateId = lines.get(winnerResult).getId();
        List<AuditLine> late = new ArrayList<>();
        for (AuditLine l : lines) {
            if (l.hasTrial()) {
                var trial = l.getTrial().toBuilder();
                trial.getResultsBuilderList().stream().filter(v -> v.getEnvelopeId().equals(lateId))
                        .forEach(v -> v.setState(ResultVerdict.State.TOO_LATE));
                l = l.toBuilder().setTrial(trial).build();
            }
            late.add(l);
        }
        assertThat(late).isNotEqualTo(lines);
        assertThat(AuditVerifier.verify(late).problems()).anySatisfy(problem -> {
            assertThat(problem.type()).isEqualTo("Adoption");
            assertThat(problem.why()).contains("does not adopt");
        });

        // A frontier claim that its adoptions don't lead to.
        List<AuditLine> lied = new ArrayList<>(lines);
        int last = lied.size() - 1;
        lied.set(last, lied.get(last).toBuilder().setDirection(lied.get(last).getDirection().toBuilder()
                .setFrontierCommit(loser)).build());
        assertThat(AuditVerifier.verify(lied).problems()).singleElement().satisfies(problem -> {
            assertThat(problem.type()).isEqualTo("Direction");
            assertThat(problem.why()).contains(winner);
        });
    }

    /**
     * The adoption's confirmation seeds are the ones drawn for it, and the results there are
     * trials only because the draw is on the record before them.
     */
    private void confirmationsAreReDerived(List<AuditLine> lines, String winner) throws Exception {
        int confirmationLine = -1;
        int adoptionLine = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).hasConfirmation()) {
                confirmationLine = i;
            } else if (lines.get(i).hasAdoption()) {
                adoptionLine = i;
            }
        }
        AuditLine confirmation = lines.get(confirmationLine);
        assertThat(confirmation.getConfirmation().getCommit()).isEqualTo(winner);
        assertThat(lines.get(adoptionLine).getAdoption().getConfirmationSeedsList())
                .isEqualTo(confirmation.getConfirmation().getRandomSeedsList()).hasSize(3);

        // adopted at other seeds than those drawn: named
        List<AuditLine> otherSeeds = new ArrayList<>(lines);
        Adoption a = lines.get(adoptionLine).getAdoption();
        otherSeeds.set(adoptionLine, lines.get(adoptionLine).toBuilder().setAdoption(a.toBuilder()
                .setConfirmationSeeds(0, a.getConfirmationSeeds(0) + 1)).build());
        assertThat(AuditVerifier.verify(otherSeeds).problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Adoption");
            assertThat(p.why()).contains("but the seeds drawn for it were");
        });

        // the draw left out of the record: its results are at no trial seed, and the adoption unconfirmed
        List<AuditLine> noDraw = new ArrayList<>(lines);
        noDraw.remove(confirmationLine);
        AuditVerifier.Report report = AuditVerifier.verify(noDraw);
        assertThat(report.problems()).filteredOn(p -> p.type().equals("Result")).hasSize(12)
                .allSatisfy(p -> assertThat(p.why()).contains("nor a confirmation seed"));
        assertThat(report.problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Adoption");
            assertThat(p.why()).contains("none were drawn for it");
        });

        // the draw dated after the adoption: refused (an adoption must follow its draw)
        List<AuditLine> lateDraw = new ArrayList<>(lines);
        lateDraw.set(confirmationLine, confirmation.toBuilder().setConfirmation(confirmation.getConfirmation()
                .toBuilder().setAuditCount(a.getAuditCount() + 1)).build());
        assertThat(AuditVerifier.verify(lateDraw).problems()).anySatisfy(p ->
                assertThat(p.why()).contains("drawn after it was adopted"));
    }

    /**
     * The confirmation's seeds are derived from the winner's commit, the results that decided its
     * trial stage and the secret its coordinator committed to when it was registered, and verify
     * recomputes them from the export alone: seeds the coordinator chose (a ground draw), a chosen
     * subset of the results, a reveal that is not the committed secret, a commitment placed after
     * a deciding result, a confirmation without a reveal for a committed candidate, and a draw
     * relabelled as the older kind after a derivation are each named; an export of an older kind
     * alone is counted, not failed.
     */
    private void confirmationSeedsAreDerivedNotChosen(List<AuditLine> lines, Manifest manifest) throws Exception {
        int at = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).hasConfirmation()) {
                at = i;
            }
        }
        AuditLine line = lines.get(at);
        Confirmation derived = line.getConfirmation();
        assertThat(derived.getDerivation()).isEqualTo(Confirmation.Derivation.COMMITTED);
        byte[] secret = derived.getSeedReveal().toByteArray();
        // quorum 2 at 3 trial seeds: the 6 results that decided the winner's trial stage, each one in the export
        assertThat(derived.getDerivedFromList()).hasSize(6).isSorted().allSatisfy(id ->
                assertThat(lines).anyMatch(l -> l.hasEnvelope() && l.getId().equals(id)
                        && l.getIndex() < derived.getAuditCount()));
        assertThat(derived.getRandomSeedsList()).isEqualTo(ConfirmationRule.derive(derived.getCommit(),
                derived.getDerivedFromList(), secret, 3, Manifests.trialSeeds(manifest)));
        // the commitment was exported, made right after the experiment: before each of its results
        int commitmentAt = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).hasSeedCommitment() && lines.get(i).getSeedCommitment().getCommit().equals(
                    derived.getCommit())) {
                commitmentAt = i;
            }
        }
        SeedCommitment commitment = lines.get(commitmentAt).getSeedCommitment();
        assertThat(lines).filteredOn(AuditLine::hasSeedCommitment).hasSize(2);
        assertThat(commitment.getCommitment().toByteArray()).isEqualTo(ConfirmationRule.commitment(secret));
        assertThat(derived.getDerivedFromList()).allSatisfy(id -> assertThat(lines).anyMatch(l -> l.hasEnvelope()
                && l.getId().equals(id) && l.getIndex() >= commitment.getAuditCount()));

        // a coordinator that drew until it liked the seeds, on the record as derived (the adoption
        // and the results agree with its draw: only the derivation can tell)
        List<Long> ground = new ArrayList<>(derived.getRandomSeedsList());
        ground.set(2, (ground.get(2) + 7919) % ConfirmationRule.SEED_BOUND);
        List<AuditLine> groundDraw = withConfirmation(lines, at, derived.toBuilder().clearRandomSeeds()
                .addAllRandomSeeds(ground).build());
        AuditVerifier.Report report = AuditVerifier.verify(writeAndRead(groundDraw, "ground.jsonl"));
        assertThat(report.ok()).isFalse();
        assertThat(report.problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Confirmation");
            assertThat(p.id()).isEqualTo("lr@" + derived.getCommit());
            assertThat(p.why()).contains("not the ones derived").contains(ground.toString());
        });

        // derived honestly, but from the results the coordinator picked: choosing is grinding
        List<String> picked = derived.getDerivedFromList().subList(0, 5);
        List<AuditLine> subset = withConfirmation(lines, at, derived.toBuilder().clearDerivedFrom()
                .addAllDerivedFrom(picked).clearRandomSeeds().addAllRandomSeeds(ConfirmationRule.derive(
                        derived.getCommit(), picked, secret, 3, Manifests.trialSeeds(manifest))).build());
        assertThat(AuditVerifier.verify(subset).problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Confirmation");
            assertThat(p.why()).contains("the results that decided its trial stage");
        });

        // another secret revealed, the seeds derived with it: only the commitment tells
        byte[] other = secret.clone();
        other[0] ^= 1;
        List<AuditLine> otherSecret = withConfirmation(lines, at, derived.toBuilder()
                .setSeedReveal(ByteString.copyFrom(other)).clearRandomSeeds().addAllRandomSeeds(ConfirmationRule
                        .derive(derived.getCommit(), derived.getDerivedFromList(), other, 3,
                                Manifests.trialSeeds(manifest))).build());
        assertThat(AuditVerifier.verify(otherSecret).problems()).filteredOn(p -> p.type().equals("Confirmation"))
                .singleElement().satisfies(p -> {
                    assertThat(p.id()).isEqualTo("lr@" + derived.getCommit());
                    assertThat(p.why()).contains("does not match the commitment");
                });

        // the commitment made after the results it should precede (a secret chosen to suit them)
        List<AuditLine> lateCommitment = new ArrayList<>(lines);
        lateCommitment.set(commitmentAt, lines.get(commitmentAt).toBuilder().setSeedCommitment(commitment.toBuilder()
                .setAuditCount(derived.getAuditCount())).build());
        assertThat(AuditVerifier.verify(writeAndRead(lateCommitment, "late-commitment.jsonl")).problems())
                .anySatisfy(p -> {
                    assertThat(p.type()).isEqualTo("Confirmation");
                    assertThat(p.id()).isEqualTo("lr@" + derived.getCommit());
                    assertThat(p.why()).contains("does not precede deciding result");
                });

        // the commitment left out of the export: the reveal cannot be checked
        List<AuditLine> noCommitment = new ArrayList<>(lines);
        noCommitment.remove(commitmentAt);
        assertThat(AuditVerifier.verify(noCommitment).problems()).anySatisfy(p ->
                assertThat(p.why()).contains("holds no commitment"));

        // a committed candidate's seeds derived without the secret (a runner could grind those): a downgrade
        Confirmation unrevealed = derived.toBuilder().setDerivation(Confirmation.Derivation.DERIVED).clearSeedReveal()
                .clearRandomSeeds().addAllRandomSeeds(ConfirmationRule.derive(derived.getCommit(),
                        derived.getDerivedFromList(), 3, Manifests.trialSeeds(manifest))).build();
        assertThat(AuditVerifier.verify(withConfirmation(lines, at, unrevealed)).problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Confirmation");
            assertThat(p.id()).isEqualTo("lr@" + derived.getCommit());
            assertThat(p.why()).contains("derived without a secret").contains("committed to a secret for it");
        });

        // the same from a coordinator of rounds 23 to 25, which committed to nothing: counted, not failed
        List<AuditLine> beforeCommitments = withConfirmation(lines, at, unrevealed);
        beforeCommitments.removeIf(AuditLine::hasSeedCommitment);
        AuditVerifier.Report derivedReport = AuditVerifier.verify(writeAndRead(beforeCommitments, "derived.jsonl"));
        // (its adoption and results are at the committed seeds, which this relabelling changed)
        assertThat(derivedReport.problems()).noneMatch(p -> p.type().equals("Confirmation"));
        assertThat(derivedReport.confirmationsUnrevealed()).isEqualTo(1);

        // the older kind (a coordinator before round 23 drew the seeds): counted, not failed
        List<AuditLine> older = withConfirmation(beforeCommitments, beforeCommitments.indexOf(lines.get(at)
                .toBuilder().setConfirmation(unrevealed).build()), derived.toBuilder()
                .setDerivation(Confirmation.Derivation.DRAWN).clearDerivedFrom().clearSeedReveal().build());
        AuditVerifier.Report olderReport = AuditVerifier.verify(writeAndRead(older, "older.jsonl"));
        assertThat(olderReport.problems()).isEmpty();
        assertThat(olderReport.confirmationsDrawn()).isEqualTo(1);

        // but a draw after a derivation is a coordinator hiding a ground draw as the older kind
        Confirmation earlier = unrevealed.toBuilder().setCommit("f".repeat(40)).setAuditCount(1).build();
        List<AuditLine> downgraded = new ArrayList<>(older);
        downgraded.add(at, AuditLine.newBuilder().setConfirmation(earlier).build());
        assertThat(AuditVerifier.verify(downgraded).problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Confirmation");
            assertThat(p.id()).isEqualTo("lr@" + derived.getCommit());
            assertThat(p.why()).contains("made after it had derived others");
        });
        // and a draw for a committed candidate is a downgrade too
        assertThat(AuditVerifier.verify(withConfirmation(lines, at, derived.toBuilder()
                .setDerivation(Confirmation.Derivation.DRAWN).clearDerivedFrom().clearSeedReveal().build()))
                .problems()).anySatisfy(p -> assertThat(p.why()).contains("the coordinator's draw, though the "
                        + "coordinator committed to a secret for it"));
    }

    /**
     * Each runner signed the seed commitment its lease carried (round 27), so the commitment's
     * place before the deciding results is theirs to attest, not the coordinator's word: deciding
     * results that attest none (the coordinator had made none when it leased them, and placed the
     * commitment earlier in its export) or another are named with their trial; results of older
     * nodes, which attest nothing, are counted, not failed.
     */
    private void decidingResultsAttestTheCommitment(List<AuditLine> lines, Manifest manifest, List<Identity> runners)
            throws Exception {
        int at = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).hasConfirmation()) {
                at = i;
            }
        }
        Confirmation derived = lines.get(at).getConfirmation();
        ByteString commitment = ByteString.copyFrom(ConfirmationRule.commitment(derived.getSeedReveal().toByteArray()));
        // the units of the candidate carried its commitment, and every deciding result signed it back
        assertThat(derived.getDerivedFromList()).allSatisfy(id -> assertThat(resultOf(lines, id).getSeedCommitment())
                .isEqualTo(commitment));
        assertThat(AuditVerifier.verify(lines).confirmationsUnattested()).isZero();

        // runners whose leases named no commitment: the coordinator made it after they ran
        List<AuditLine> withheld = resigned(lines, at, manifest, runners,
                r -> r.toBuilder().clearSeedCommitment().build());
        assertThat(AuditVerifier.verify(withheld).problems()).filteredOn(p -> p.type().equals("Confirmation"))
                .singleElement().satisfies(p -> {
                    assertThat(p.id()).isEqualTo("lr@" + derived.getCommit());
                    assertThat(p.why()).contains("names no seed commitment").contains("trial of " + derived.getCommit()
                            + " at seed ");
                });
        // runners shown another commitment than the one revealed
        ByteString other = ByteString.copyFrom(ConfirmationRule.commitment(new byte[ConfirmationRule.SECRET_BYTES]));
        List<AuditLine> another = resigned(lines, at, manifest, runners,
                r -> r.toBuilder().setSeedCommitment(other).build());
        assertThat(AuditVerifier.verify(another).problems()).filteredOn(p -> p.type().equals("Confirmation"))
                .singleElement().satisfies(p -> assertThat(p.why()).contains("names seed commitment "
                        + HexFormat.of().formatHex(other.toByteArray())).contains("not the one revealed"));
        // older nodes attest nothing: counted, not failed
        List<AuditLine> olderNodes = resigned(lines, at, manifest, runners,
                r -> r.toBuilder().clearSeedCommitment().clearAttestsSeedCommitment().build());
        AuditVerifier.Report older = AuditVerifier.verify(olderNodes);
        assertThat(older.problems()).noneMatch(p -> p.type().equals("Confirmation"));
        assertThat(older.confirmationsUnattested()).isEqualTo(1);
    }

    private static Result resultOf(List<AuditLine> lines, String id) throws IOException {
        return Result.parseFrom(lines.stream().filter(l -> l.hasEnvelope() && l.getId().equals(id)).findFirst()
                .orElseThrow().getEnvelope().getPayload());
    }

    /**
     * The export with the confirmation's deciding results changed and signed again by their own
     * runners (new ids), and the confirmation derived honestly from the new ids with its secret:
     * what a coordinator would export had the runners signed those results.
     */
    private static List<AuditLine> resigned(List<AuditLine> lines, int at, Manifest manifest, List<Identity> runners,
            java.util.function.UnaryOperator<Result> change) throws IOException {
        Confirmation c = lines.get(at).getConfirmation();
        String network = lines.get(0).getHeader().getNetwork();
        List<AuditLine> out = new ArrayList<>(lines);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            AuditLine l = out.get(i);
            if (l.hasEnvelope() && c.getDerivedFromList().contains(l.getId())) {
                Result r = change.apply(Result.parseFrom(l.getEnvelope().getPayload()));
                Identity runner = runners.stream().filter(k -> k.publicId().toByteString().equals(r.getRunner()))
                        .findFirst().orElseThrow();
                SignedEnvelope e = Envelopes.sign(runner, network, r);
                out.set(i, l.toBuilder().setEnvelope(e).setId(Envelopes.id(e)).build());
                ids.add(Envelopes.id(e));
            }
        }
        ids.sort(null);
        byte[] secret = c.getSeedReveal().toByteArray();
        out.set(at, lines.get(at).toBuilder().setConfirmation(c.toBuilder().clearDerivedFrom().addAllDerivedFrom(ids)
                .clearRandomSeeds().addAllRandomSeeds(ConfirmationRule.derive(c.getCommit(), ids, secret, 3,
                        Manifests.trialSeeds(manifest)))).build());
        return out;
    }

    private static List<AuditLine> withConfirmation(List<AuditLine> lines, int at, Confirmation c) {
        List<AuditLine> changed = new ArrayList<>(lines);
        changed.set(at, lines.get(at).toBuilder().setConfirmation(c).build());
        return changed;
    }

    /** Each runner in turn claims and reports an honest metric, until nobody gets work. */
    /**
     * A new client's export from a coordinator that answers 404 to /v1/confirmations (one older
     * than the confirmation stage; here a real one behind a proxy that hides the path): everything
     * else is exported, the header says confirmations were unavailable, and verify says so plainly
     * (this run's adoption was confirmed, so what cannot be checked is named, not a parse error).
     */
    private void exportFromACoordinatorWithoutConfirmations(String url) throws Exception {
        com.sun.net.httpserver.HttpServer proxy = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        proxy.createContext("/", exchange -> {
            try (exchange) {
                if (exchange.getRequestURI().getPath().equals("/v1/confirmations")) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                java.net.http.HttpResponse<byte[]> r = http.send(java.net.http.HttpRequest.newBuilder(
                                URI.create(url).resolve(exchange.getRequestURI().toString()))
                        .header("Accept", "application/x-protobuf").GET().build(),
                        java.net.http.HttpResponse.BodyHandlers.ofByteArray());
                exchange.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
                exchange.getResponseBody().write(r.body());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        proxy.start();
        try {
            Path old = dir.resolve("old-coordinator.jsonl");
            AuditExport.Summary summary = AuditExport.export(
                    URI.create("http://127.0.0.1:" + proxy.getAddress().getPort() + "/"), old, System.currentTimeMillis(),
                    n -> { });
            assertThat(summary.confirmationsUnavailable()).isTrue();
            assertThat(summary.adoptions()).isEqualTo(1);
            List<AuditLine> lines = AuditExport.read(old);
            assertThat(lines.get(0).getHeader().getConfirmationsUnavailable()).isTrue();
            assertThat(lines).noneMatch(AuditLine::hasConfirmation);
            AuditVerifier.Report report = AuditVerifier.verify(lines);
            assertThat(report.confirmationsUnavailable()).isTrue();
            assertThat(report.adoptions()).isEqualTo(1);
            assertThat(report.problems()).isNotEmpty().allSatisfy(p -> assertThat(p.why()).contains("confirmation"));
            assertThat(report.problems()).anySatisfy(p -> assertThat(p.why()).contains("cannot be checked"));
        } finally {
            proxy.stop(0);
        }
    }

    private static void runAll(String url, List<Identity> runners, Map<String, Double> delta) throws Exception {
        for (int round = 0; round < 50; round++) {
            boolean worked = false;
            for (Identity runner : runners) {
                CoordinatorClient client = new CoordinatorClient(url, runner);
                var response = client.claim(ClaimRequest.newBuilder().setNode(runner.publicId().toByteString())
                        .setHardwareClass("cpu:x86_64").setTimeMs(System.currentTimeMillis()).build());
                if (!response.hasUnit()) {
                    continue;
                }
                WorkUnit u = response.getUnit();
                // each seed its own level, shared by every commit run there (confirmation seeds are drawn
                // up to 2^31, so the level is the seed's remainder, inside the seed's metric range)
                double metric = 3.2 + 0.01 * Math.floorMod(u.getRandomSeed(), 7L) + delta.get(u.getCommit());
                client.reportResult(client.signed(Result.newBuilder().setWorkUnitId(u.getId())
                        .setSeed(u.getSeed()).setDirection(u.getDirection()).setCommit(u.getCommit())
                        .setParent(u.getParent()).setStatus(Result.Status.OK).setMetricName("val_bpb").setMetric(metric)
                        .setHardwareClass("cpu:x86_64").setRuntimeMs(1500).setLogSha256(ByteString.copyFrom(new byte[32]))
                        .setRunner(runner.publicId().toByteString()).setProposer(u.getProposer())
                        .setTimeMs(System.currentTimeMillis()).setBudget(u.getBudget()).setRandomSeed(u.getRandomSeed())
                        // as a round-27 node: the unit's seed commitment signed back
                        .setSeedCommitment(u.getSeedCommitment()).setAttestsSeedCommitment(true)
                        .build()));
                worked = true;
            }
            if (!worked) {
                return;
            }
        }
        throw new AssertionError("work never ran out");
    }

    private static int indexOf(List<AuditLine> lines, String type, int nth) {
        int seen = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).hasEnvelope() && lines.get(i).getEnvelope().getType().equals(type) && seen++ == nth) {
                return i;
            }
        }
        throw new AssertionError("no " + type + " #" + nth);
    }

    private static List<AuditLine> renumber(List<AuditLine> lines) {
        List<AuditLine> out = new ArrayList<>();
        long index = 0;
        for (AuditLine l : lines) {
            out.add(l.hasEnvelope() ? l.toBuilder().setIndex(index++).build() : l);
        }
        return out;
    }

    /**
     * What an export killed mid-write (by a version that wrote in place) or copied in part leaves:
     * cut inside a line, or cleanly after one. Either is told as truncated, naming the file, never
     * as a record that fails to parse or a history that fails to verify.
     */
    private void truncatedCopiesAreToldAsTruncated(Path file) throws Exception {
        byte[] whole = Files.readAllBytes(file);
        String text = new String(whole, StandardCharsets.UTF_8);
        int lastLineStart = text.lastIndexOf('\n', text.length() - 2) + 1;
        int middleLineEnd = text.indexOf('\n', text.length() / 2) + 1;
        Map<String, byte[]> cuts = Map.of(
                "in the middle of a line", Arrays.copyOf(whole, whole.length / 2),
                "after a whole line", Arrays.copyOf(whole, middleLineEnd),
                "before the end record", Arrays.copyOf(whole, lastLineStart),
                "inside the end record", Arrays.copyOf(whole, whole.length - 3));
        for (var cut : cuts.entrySet()) {
            Path copy = dir.resolve("cut.jsonl");
            Files.write(copy, cut.getValue());
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> AuditExport.read(copy)))
                    .as(cut.getKey()).isInstanceOf(IOException.class)
                    .hasMessageStartingWith(copy + " is truncated");
        }
        Path joined = dir.resolve("joined.jsonl");
        Files.write(joined, (text + text).getBytes(StandardCharsets.UTF_8));
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> AuditExport.read(joined)))
                .hasMessageContaining("comes after the export's end record");
    }

    private List<AuditLine> writeAndRead(List<AuditLine> lines, String name) throws Exception {
        Path f = dir.resolve(name);
        List<String> text = new ArrayList<>(lines.stream().map(Json::compact).toList());
        text.add(Json.compact(AuditLine.newBuilder().setEnd(AuditEnd.newBuilder().setLines(lines.size())).build()));
        Files.write(f, text);
        return AuditExport.read(f);
    }

    private String commit() {
        byte[] id = new byte[20];
        random.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }
}
