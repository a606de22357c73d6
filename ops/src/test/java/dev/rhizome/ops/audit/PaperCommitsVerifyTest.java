package dev.rhizome.ops.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.Coordinator;
import dev.rhizome.coordinator.CoordinatorConfig;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.proto.v1.AuditLine;
import dev.rhizome.proto.v1.Budget;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
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
 * `rhizome verify` checks that an exported paper cites experiments of its direction: a paper a
 * coordinator older than round 24 stored citing another direction's experiment, a made-up commit
 * or the base is named with why and counted, not failed (an export cannot tell which coordinator
 * stored it); a paper naming an unknown direction, which no coordinator ever stored, fails.
 */
class PaperCommitsVerifyTest {
    @TempDir
    Path dir;

    @Test
    void papersCitingCommitsOutsideTheirDirectionAreNamedAndCounted() throws Exception {
        Identity operator = Identity.generate();
        Identity proposer = Identity.generate();
        Identity author = Identity.generate();
        Path data = dir.resolve("coordinator");
        CoordinatorConfig config = CoordinatorConfig.defaults(data).withOperators(Set.of(operator.publicId()));
        String base = "a".repeat(40);
        String ofLr = "b".repeat(40);
        String ofWd = "c".repeat(40);
        String madeUp = "d".repeat(40);
        String network;
        SignedEnvelope sound;
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
            CoordinatorClient p = new CoordinatorClient(c.url(), proposer);
            p.registerExperiment(experiment(proposer, "lr", ofLr, base));
            p.registerExperiment(experiment(proposer, "wd", ofWd, base));
            CoordinatorClient a = new CoordinatorClient(c.url(), author);
            a.publishPaper(paper(author, "lr", "about lr", ofLr));  // what a coordinator of round 24 accepts
            sound = a.papers("lr").getEnvelopes(0);
        }
        // papers an older coordinator stored as sent: it did not check their commits
        Paper aboutWd = paper(author, "lr", "about wd", ofWd);
        Paper aboutNothing = paper(author, "lr", "about nothing", madeUp, base, ofLr);
        SignedEnvelope otherDirections = Envelopes.sign(author, network, aboutWd);
        SignedEnvelope madeUpAndBase = Envelopes.sign(author, network, aboutNothing);
        try (SqliteStore store = SqliteStore.open(data)) {
            store.inTransaction(tx -> {
                tx.insertPaper(aboutWd, otherDirections, Envelopes.id(otherDirections), System.currentTimeMillis());
                tx.insertPaper(aboutNothing, madeUpAndBase, Envelopes.id(madeUpAndBase), System.currentTimeMillis());
                return null;
            });
        }
        Path file = dir.resolve("audit.jsonl");
        try (Coordinator c = Coordinator.start(config)) {
            AuditExport.export(URI.create(c.url()), file, System.currentTimeMillis(), n -> { });
        }
        List<AuditLine> lines = AuditExport.read(file);

        AuditVerifier.Report report = AuditVerifier.verify(lines);

        assertThat(report.problems()).isEmpty();
        assertThat(report.ok()).isTrue();
        assertThat(report.papersOffDirection()).extracting(AuditVerifier.Problem::id)
                .containsExactly(Envelopes.id(otherDirections), Envelopes.id(madeUpAndBase))
                .doesNotContain(Envelopes.id(sound));
        assertThat(report.papersOffDirection().get(0).why())
                .isEqualTo("commit " + ofWd + " is an experiment of direction wd, not of lr");
        assertThat(report.papersOffDirection().get(1).why())
                .isEqualTo("commit " + madeUp + " is not a registered experiment of direction lr; commit " + base
                        + " is not a registered experiment of direction lr");
        assertThat(report.papersOffDirection()).allSatisfy(p -> {
            assertThat(p.type()).isEqualTo("Paper");
            assertThat(lines.stream().anyMatch(l -> l.hasEnvelope() && l.getIndex() == p.index()
                    && Envelopes.id(l.getEnvelope()).equals(p.id()))).as("named at its position").isTrue();
        });

        // a paper of a direction the export does not hold: no coordinator ever stored one
        List<AuditLine> unknown = new ArrayList<>(lines);
        long next = lines.stream().filter(AuditLine::hasEnvelope).mapToLong(AuditLine::getIndex).max().orElseThrow() + 1;
        SignedEnvelope stray = Envelopes.sign(author, network, paper(author, "momentum", "elsewhere", ofLr));
        unknown.add(AuditLine.newBuilder().setEnvelope(stray).setIndex(next).setId(Envelopes.id(stray)).build());
        assertThat(AuditVerifier.verify(unknown).problems()).singleElement().satisfies(p -> {
            assertThat(p.type()).isEqualTo("Paper");
            assertThat(p.id()).isEqualTo(Envelopes.id(stray));
            assertThat(p.why()).isEqualTo("unknown direction momentum");
        });
    }

    private static Experiment experiment(Identity proposer, String direction, String commit, String parent) {
        return Experiment.newBuilder().setSeed("tiny-lm").setDirection(direction).setCommit(commit).setParent(parent)
                .setProposer(proposer.publicId().toByteString()).setCreatedMs(System.currentTimeMillis()).build();
    }

    private static Paper paper(Identity author, String direction, String title, String... commits) {
        return Paper.newBuilder().setAuthor(author.publicId().toByteString()).setDirection(direction).setTitle(title)
                .setBodyMarkdown("what we found").addAllCommits(List.of(commits))
                .setCreatedMs(System.currentTimeMillis()).build();
    }

    private static Manifest manifest() {
        return Manifest.newBuilder().setName("tiny-lm").addCommand("java").addCommand("Train.java")
                .setBudget(Budget.newBuilder().setSteps(400)).setRandomSeed(42)
                .setMetric(MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true).setTolerance(0.002))
                .addEditableFiles("config.properties").setHardwareClass("any").setTimeoutSeconds(60).setQuorum(1)
                .build();
    }
}
