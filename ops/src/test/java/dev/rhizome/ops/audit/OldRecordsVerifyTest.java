package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
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
 * Records a store kept from before networks were named (envelope version 1, naming none) keep
 * their exact bytes: served as they were, exported, and verified offline beside the version-2
 * records signed since; tampering with one is still caught.
 */
class OldRecordsVerifyTest {
    @TempDir
    Path dir;

    @Test
    void aVersionOneRecordInTheStoreIsServedExportedAndVerified() throws Exception {
        Identity operator = Identity.generate();
        Identity author = Identity.generate();
        Path data = dir.resolve("coordinator");
        CoordinatorConfig config = CoordinatorConfig.defaults(data).withOperators(Set.of(operator.publicId()));
        String seedCommit = "a".repeat(40);
        try (Coordinator c = Coordinator.start(config)) {
            CoordinatorClient op = new CoordinatorClient(c.url(), operator);
            long now = System.currentTimeMillis();
            op.publishSeed(Seed.newBuilder().setName("tiny-lm").setCommit(seedCommit).setManifest(manifest())
                    .setPublisher(operator.publicId().toByteString()).setPublishedMs(now).build());
            op.openDirection(Direction.newBuilder().setName("lr").setSeed("tiny-lm").setBaseCommit(seedCommit)
                    .setOpenedBy(operator.publicId().toByteString()).setOpenedMs(now).build());
        }
        // a paper stored by an older coordinator, as it was signed then
        Paper paper = Paper.newBuilder().setAuthor(author.publicId().toByteString()).setDirection("lr")
                .setTitle("what we found").setBodyMarkdown("lower lr helps").setCreatedMs(System.currentTimeMillis())
                .build();
        SignedEnvelope old = Envelopes.sign(author, paper);
        assertThat(old.getVersion()).isEqualTo(Envelopes.VERSION_1);
        try (SqliteStore store = SqliteStore.open(data)) {
            store.inTransaction(tx -> {
                tx.insertPaper(paper, old, Envelopes.id(old), System.currentTimeMillis());
                return null;
            });
        }

        Path file = dir.resolve("audit.jsonl");
        try (Coordinator c = Coordinator.start(config)) {
            assertThat(new CoordinatorClient(c.url(), author).papers("lr").getEnvelopesList()).containsExactly(old);
            AuditExport.export(URI.create(c.url()), file, System.currentTimeMillis(), n -> { });
        }
        List<AuditLine> lines = AuditExport.read(file);
        List<Integer> versions = lines.stream().filter(AuditLine::hasEnvelope).map(l -> l.getEnvelope().getVersion()).toList();
        assertThat(versions).containsExactly(Envelopes.VERSION, Envelopes.VERSION, Envelopes.VERSION_1);
        AuditVerifier.Report report = AuditVerifier.verify(lines);
        assertThat(report.problems()).isEmpty();
        assertThat(report.envelopes()).isEqualTo(3);

        // still checked, not waved through: its payload edited after signing is named
        List<AuditLine> tampered = new ArrayList<>(lines);
        int last = tampered.size() - 1;
        while (!tampered.get(last).hasEnvelope()) {
            last--;
        }
        AuditLine line = tampered.get(last);
        byte[] payload = line.getEnvelope().getPayload().toByteArray();
        payload[payload.length - 1] ^= 1;
        tampered.set(last, line.toBuilder().setEnvelope(line.getEnvelope().toBuilder()
                .setPayload(ByteString.copyFrom(payload))).build());
        assertThat(AuditVerifier.verify(tampered).problems()).anySatisfy(p -> {
            assertThat(p.type()).isEqualTo("Paper");
            assertThat(p.why()).contains("bad signature");
        });
    }

    @Test
    void aRecordOfAnotherNetworkInTheStoreIsNamedAsMixedNetworks() throws Exception {
        Identity operator = Identity.generate();
        Identity author = Identity.generate();
        Path data = dir.resolve("coordinator");
        CoordinatorConfig config = CoordinatorConfig.defaults(data).withOperators(Set.of(operator.publicId()));
        String seedCommit = "a".repeat(40);
        String network;
        try (Coordinator c = Coordinator.start(config)) {
            CoordinatorClient op = new CoordinatorClient(c.url(), operator);
            network = op.network();
            long now = System.currentTimeMillis();
            op.publishSeed(Seed.newBuilder().setName("tiny-lm").setCommit(seedCommit).setManifest(manifest())
                    .setPublisher(operator.publicId().toByteString()).setPublishedMs(now).build());
            op.openDirection(Direction.newBuilder().setName("lr").setSeed("tiny-lm").setBaseCommit(seedCommit)
                    .setOpenedBy(operator.publicId().toByteString()).setOpenedMs(now).build());
        }
        // a paper copied in by hand from another network's store: its coordinator would refuse it
        Paper paper = Paper.newBuilder().setAuthor(author.publicId().toByteString()).setDirection("lr")
                .setTitle("elsewhere").setBodyMarkdown("found on another network").setCreatedMs(System.currentTimeMillis())
                .build();
        SignedEnvelope foreign = Envelopes.sign(author, "net-elsewhere", paper);
        try (SqliteStore store = SqliteStore.open(data)) {
            store.inTransaction(tx -> {
                tx.insertPaper(paper, foreign, Envelopes.id(foreign), System.currentTimeMillis());
                return null;
            });
        }
        Path file = dir.resolve("audit.jsonl");
        try (Coordinator c = Coordinator.start(config)) {
            AuditExport.export(URI.create(c.url()), file, System.currentTimeMillis(), n -> { });
        }

        AuditVerifier.Report report = AuditVerifier.verify(AuditExport.read(file));

        assertThat(report.ok()).isFalse();
        assertThat(report.problems()).singleElement().satisfies(p -> {
            assertThat(p.type()).isEqualTo("Paper");
            assertThat(p.id()).isEqualTo(Envelopes.id(foreign));
            assertThat(p.why()).contains("net-elsewhere").contains(network).contains("mixed networks")
                    .contains("named by the export's header");
        });

        // the header names the network the coordinator served (it was guessed from the first record
        // signed for one, so a store mostly of another network named the honest records as mixed)
        List<AuditLine> lines = AuditExport.read(file);
        assertThat(lines.get(0).getHeader().getNetwork()).isEqualTo(network);
        List<AuditLine> otherHeader = new ArrayList<>(lines);
        otherHeader.set(0, lines.get(0).toBuilder().setHeader(lines.get(0).getHeader().toBuilder().setNetwork("net-other")).build());
        assertThat(AuditVerifier.verify(otherHeader).problems()).hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(p -> assertThat(p.why()).contains("not this export's network net-other (named by the export's header)"));
        // an export made before the header named it is still read: the first version-2 record names it
        List<AuditLine> old = new ArrayList<>(lines);
        old.set(0, lines.get(0).toBuilder().setHeader(lines.get(0).getHeader().toBuilder().clearNetwork()).build());
        assertThat(AuditVerifier.verify(old).problems()).singleElement()
                .satisfies(p -> assertThat(p.why()).contains("net-elsewhere").contains("named by record #0"));
    }

    private static Manifest manifest() {
        return Manifest.newBuilder().setName("tiny-lm").addCommand("java").addCommand("Train.java")
                .setBudget(Budget.newBuilder().setSteps(400)).setRandomSeed(42)
                .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true).setTolerance(0.002))
                .addEditableFiles("config.properties").setHardwareClass("any").setTimeoutSeconds(60).setQuorum(1)
                .build();
    }
}
