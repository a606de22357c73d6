package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionClosure;
import dev.rhizome.proto.v1.KeyBan;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.OperatorHistory;
import dev.rhizome.proto.v1.OperatorTerm;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's orders (a direction closed, a key banned) are in the signed audit trail: an
 * export names the coordinator's operators, `rhizome verify` lists who ordered what and when,
 * and an order forged (signed by a key that is no operator), altered (its bytes changed after
 * signing) or about a direction the trail never opened fails, named by its position and id.
 */
class OperatorOrdersVerifyTest {
    @TempDir
    Path dir;

    @Test
    void operatorsOrdersAreExportedListedAndForgedOrAlteredOnesFail() throws Exception {
        Identity operator = Identity.generate();
        Identity stranger = Identity.generate();
        Identity banned = Identity.generate();
        CoordinatorConfig config = CoordinatorConfig.defaults(dir.resolve("coordinator"))
                .withOperators(Set.of(operator.publicId()));
        String base = "a".repeat(40);
        String network;
        Path file = dir.resolve("audit.jsonl");
        try (Coordinator c = Coordinator.start(config)) {
            CoordinatorClient op = new CoordinatorClient(c.url(), operator);
            network = op.network();
            long now = System.currentTimeMillis();
            op.publishSeed(Seed.newBuilder().setName("tiny-lm").setCommit(base).setManifest(manifest())
                    .setPublisher(operator.publicId().toByteString()).setPublishedMs(now).build());
            for (String direction : List.of("lr", "wd")) {
                op.openDirection(Direction.newBuilder().setName(direction).setSeed("tiny-lm").setBaseCommit(base)
                        .setOpenedBy(operator.publicId().toByteString()).setOpenedMs(now).build());
            }
            op.closeDirection(closure(operator, "wd", "a dead end", now + 1));
            op.closeDirection(closure(operator, "wd", "closed twice", now + 2));  // changes nothing: not kept
            op.ban(KeyBan.newBuilder().setKey(banned.publicId().toByteString()).setReason("copied metrics")
                    .setBannedBy(operator.publicId().toByteString()).setBannedMs(now + 3).build());
            CoordinatorClient notOperator = new CoordinatorClient(c.url(), stranger);
            assertThatThrownBy(() -> notOperator.closeDirection(closure(stranger, "lr", "mine now", now + 4)))
                    .isInstanceOf(CoordinatorException.class);
            AuditExport.export(URI.create(c.url()), file, System.currentTimeMillis(), n -> { });
        }
        List<AuditLine> lines = AuditExport.read(file);
        assertThat(lines.get(0).getHeader().getOperatorsList()).containsExactly(operator.publicId().toByteString());

        AuditVerifier.Report report = AuditVerifier.verify(lines);

        assertThat(report.problems()).isEmpty();
        String by = PublicId.hex(operator.publicId().toByteString());
        assertThat(report.orders()).as("the two orders that changed something, in the order accepted")
                .extracting(AuditVerifier.Order::type, AuditVerifier.Order::by, AuditVerifier.Order::what)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("DirectionClosure", by, "closed direction wd (a dead end)"),
                        org.assertj.core.groups.Tuple.tuple("KeyBan", by, "banned key "
                                + PublicId.hex(banned.publicId().toByteString()) + " (copied metrics)"));
        assertThat(report.orders()).allSatisfy(o -> assertThat(lines.stream().anyMatch(l -> l.hasEnvelope()
                && l.getIndex() == o.index() && l.getId().equals(o.id()))).as("named at its place").isTrue());
        assertThat(report.orders().get(0).atMs()).isPositive();

        long next = lines.stream().filter(AuditLine::hasEnvelope).mapToLong(AuditLine::getIndex).max().orElseThrow() + 1;
        long now = System.currentTimeMillis();

        // forged: a well-signed closure by a key that is no operator of the export's coordinator
        SignedEnvelope forged = Envelopes.sign(stranger, network, closure(stranger, "lr", "mine now", now));
        assertThat(AuditVerifier.verify(appended(lines, forged, next)).problems()).singleElement().satisfies(p -> {
            assertThat(p.type()).isEqualTo("DirectionClosure");
            assertThat(p.index()).isEqualTo(next);
            assertThat(p.id()).isEqualTo(Envelopes.id(forged));
            assertThat(p.why()).contains("not an operator of the export's coordinator")
                    .contains("only an operator may close directions");
        });

        // altered: the operator's ban with its reason changed after signing, the export's id made to match
        SignedEnvelope ban = lines.stream().filter(l -> l.hasEnvelope()
                && l.getEnvelope().getType().equals("rhizome.v1.KeyBan")).findFirst().orElseThrow().getEnvelope();
        KeyBan changed = KeyBan.parseFrom(ban.getPayload()).toBuilder().setReason("no reason").build();
        SignedEnvelope altered = ban.toBuilder().setPayload(ByteString.copyFrom(changed.toByteArray())).build();
        List<AuditLine> edited = new ArrayList<>();
        for (AuditLine l : lines) {
            edited.add(l.hasEnvelope() && l.getEnvelope().equals(ban)
                    ? l.toBuilder().setEnvelope(altered).setId(Envelopes.id(altered)).build() : l);
        }
        assertThat(AuditVerifier.verify(edited).problems()).singleElement().satisfies(p -> {
            assertThat(p.type()).isEqualTo("KeyBan");
            assertThat(p.id()).isEqualTo(Envelopes.id(altered));
            assertThat(p.why()).startsWith("bad signature");
        });

        // an operator's closure of a direction the trail never opened
        SignedEnvelope nowhere = Envelopes.sign(operator, network, closure(operator, "momentum", "gone", now));
        assertThat(AuditVerifier.verify(appended(lines, nowhere, next)).problems()).singleElement().satisfies(p -> {
            assertThat(p.type()).isEqualTo("DirectionClosure");
            assertThat(p.why()).isEqualTo("direction momentum is not opened before it in the trail");
        });

        // an adoption claimed after the closure in the trail: a closure stops the frontier
        long closedAt = report.orders().get(0).index();
        List<AuditLine> adopted = new ArrayList<>(lines);
        adopted.add(AuditLine.newBuilder().setAdoption(dev.rhizome.proto.v1.Adoption.newBuilder().setDirection("wd")
                .setCommit("e".repeat(40)).setPrevious(base).setAuditCount(closedAt + 1)).build());
        assertThat(AuditVerifier.verify(adopted).problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Adoption");
            assertThat(p.why()).isEqualTo("decided after the direction's closure (record #" + closedAt
                    + "), which stops its frontier");
        });

        // the header's operators edited to take the stranger in: the signed terms still hold the orders to
        // the operator, and the stranger's forged closure fails by them
        assertThat(lines.get(0).getHeader().hasOperatorHistory()).as("the terms, signed").isTrue();
        List<AuditLine> swapped = new ArrayList<>(appended(lines, forged, next));
        swapped.set(0, lines.get(0).toBuilder().setHeader(lines.get(0).getHeader().toBuilder().clearOperators()
                .addOperators(stranger.publicId().toByteString())).build());
        assertThat(AuditVerifier.verify(swapped).problems()).singleElement()
                .satisfies(p -> assertThat(p.id()).isEqualTo(Envelopes.id(forged)));
        // without the terms (an export before round 38) the header's operators decide: the operator's own orders fail
        swapped.set(0, swapped.get(0).toBuilder().setHeader(swapped.get(0).getHeader().toBuilder()
                .clearOperatorHistory()).build());
        assertThat(AuditVerifier.verify(swapped.subList(0, lines.size())).problems()).hasSize(2)
                .allSatisfy(p -> assertThat(p.why()).contains("not an operator"));
        // terms re-signed by a key of the attacker's own, taking the stranger in: refused, and its closure fails
        OperatorHistory widened = OperatorHistory.parseFrom(lines.get(0).getHeader().getOperatorHistory().getPayload())
                .toBuilder().addTerms(OperatorTerm.newBuilder().setOperator(stranger.publicId().toByteString())).build();
        List<AuditLine> forgedTerms = new ArrayList<>(appended(lines, forged, next));
        forgedTerms.set(0, lines.get(0).toBuilder().setHeader(lines.get(0).getHeader().toBuilder()
                .setOperatorHistory(Envelopes.sign(stranger, network, widened))).build());
        assertThat(AuditVerifier.verify(forgedTerms).problems()).extracting(AuditVerifier.Problem::type)
                .containsExactlyInAnyOrder("header", "DirectionClosure");
    }

    /**
     * An operator rotated out of the coordinator's operators keeps its past orders: the export's
     * header names only the operators at export time, and its signed terms say the rotated key was
     * one when it ordered. An order the rotated key signs after it left fails.
     */
    @Test
    void aRotatedOutOperatorsPastOrdersStillVerify() throws Exception {
        Identity old = Identity.generate();
        Identity kept = Identity.generate();
        Path data = dir.resolve("rotated");
        String base = "b".repeat(40);
        String network;
        long ordered;
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(data)
                .withOperators(Set.of(old.publicId(), kept.publicId())))) {
            CoordinatorClient op = new CoordinatorClient(c.url(), old);
            network = op.network();
            ordered = System.currentTimeMillis();
            op.publishSeed(Seed.newBuilder().setName("tiny-lm").setCommit(base).setManifest(manifest())
                    .setPublisher(old.publicId().toByteString()).setPublishedMs(ordered).build());
            op.openDirection(Direction.newBuilder().setName("lr").setSeed("tiny-lm").setBaseCommit(base)
                    .setOpenedBy(old.publicId().toByteString()).setOpenedMs(ordered).build());
            op.closeDirection(closure(old, "lr", "done", ordered));
        }
        Path file = dir.resolve("rotated.jsonl");
        long rotated;
        try (Coordinator c = Coordinator.start(CoordinatorConfig.defaults(data).withOperators(Set.of(kept.publicId())))) {
            CoordinatorClient former = new CoordinatorClient(c.url(), old);
            rotated = System.currentTimeMillis();
            assertThatThrownBy(() -> former.ban(KeyBan.newBuilder().setKey(kept.publicId().toByteString())
                    .setReason("mine").setBannedBy(old.publicId().toByteString()).setBannedMs(rotated).build()))
                    .as("no longer an operator").isInstanceOf(CoordinatorException.class);
            AuditExport.export(URI.create(c.url()), file, System.currentTimeMillis(), n -> { });
        }
        List<AuditLine> lines = AuditExport.read(file);
        assertThat(lines.get(0).getHeader().getOperatorsList()).containsExactly(kept.publicId().toByteString());

        AuditVerifier.Report report = AuditVerifier.verify(lines);

        assertThat(report.problems()).as("the rotated-out operator's closure, made in its term").isEmpty();
        assertThat(report.orders()).extracting(AuditVerifier.Order::by)
                .containsExactly(PublicId.hex(old.publicId().toByteString()));

        long next = lines.stream().filter(AuditLine::hasEnvelope).mapToLong(AuditLine::getIndex).max().orElseThrow() + 1;
        SignedEnvelope after = Envelopes.sign(old, network, closure(old, "lr", "again", rotated));
        assertThat(AuditVerifier.verify(appended(lines, after, next)).problems()).singleElement().satisfies(p -> {
            assertThat(p.id()).isEqualTo(Envelopes.id(after));
            assertThat(p.why()).contains("not an operator of the export's coordinator at");
        });
    }

    private static List<AuditLine> appended(List<AuditLine> lines, SignedEnvelope e, long index) {
        List<AuditLine> more = new ArrayList<>(lines);
        more.add(AuditLine.newBuilder().setEnvelope(e).setIndex(index).setId(Envelopes.id(e)).build());
        return more;
    }

    private static DirectionClosure closure(Identity by, String direction, String reason, long ms) {
        return DirectionClosure.newBuilder().setName(direction).setReason(reason)
                .setClosedBy(by.publicId().toByteString()).setClosedMs(ms).build();
    }

    private static Manifest manifest() {
        return Manifest.newBuilder().setName("tiny-lm").addCommand("java").addCommand("Train.java")
                .setBudget(Budget.newBuilder().setSteps(400)).setRandomSeed(42)
                .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true).setTolerance(0.002))
                .addEditableFiles("config.properties").setHardwareClass("any").setTimeoutSeconds(60).setQuorum(1)
                .build();
    }
}
