package dev.rhizome.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.client.agent.Records;
import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.explore.ExplorerPapers;
import dev.rhizome.proto.v1.ClaimRequest;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in explorer writes a short paper, with the numbers, when one of its proposals is adopted. */
class ExplorerPapersTest {
    @TempDir
    Path dir;

    /** Runs every open unit, each trial of a commit (one per random seed) getting that commit's metric. */
    private static void runAll(CoordinatorClient runner, Map<String, Double> metrics) throws Exception {
        while (true) {
            var response = runner.claim(ClaimRequest.newBuilder().setNode(runner.identity().publicId().toByteString())
                    .setHardwareClass("cpu").addKinds(WorkUnit.Kind.EVALUATE).setTimeMs(System.currentTimeMillis())
                    .build());
            if (!response.hasUnit()) {
                return;
            }
            report(runner, response.getUnit(), metrics.get(response.getUnit().getCommit()));
        }
    }

    private static void report(CoordinatorClient runner, WorkUnit unit, double metric) throws Exception {
        runner.reportResult(runner.signed(Result.newBuilder().setWorkUnitId(unit.getId())
                .setSeed(unit.getSeed()).setDirection(unit.getDirection()).setCommit(unit.getCommit())
                .setParent(unit.getParent()).setStatus(Result.Status.OK).setMetricName("val_bpb").setMetric(metric)
                .setHardwareClass("cpu").setRuntimeMs(10).setLogSha256(ByteString.copyFrom(new byte[32]))
                .setRunner(runner.identity().publicId().toByteString()).setProposer(unit.getProposer())
                .setBudget(unit.getBudget()).setRandomSeed(unit.getRandomSeed()).setTimeMs(System.currentTimeMillis())
                .build()));
    }

    @Test
    void anAdoptedProposalGetsAPaperAndAWorseOneDoesNot() throws Exception {
        try (SeededCoordinator network = SeededCoordinator.start(dir, dir.resolve("repo"), TestNetwork.slowSeed(1, 60))) {
            String url = network.url();
            Seed seed = network.seed();
            CoordinatorClient runner = new CoordinatorClient(url, Identity.generate());
            CoordinatorClient explorer = new CoordinatorClient(url, Identity.generate());
            runAll(runner, Map.of(seed.getCommit(), 1.5));  // the baseline, at every adoption seed

            // The coordinator only tracks commit ids; the commits themselves travel between peers.
            String better = "1b".repeat(20);
            String worse = "2c".repeat(20);
            ExplorerPapers papers = new ExplorerPapers(Clock.systemUTC());
            for (String[] p : List.of(new String[] {better, "x 1 -> 1.6487"}, new String[] {worse, "x 1 -> 9"})) {
                explorer.registerExperiment(Experiment.newBuilder().setSeed(seed.getName()).setDirection("d")
                        .setCommit(p[0]).setParent(seed.getCommit())
                        .setProposer(explorer.identity().publicId().toByteString()).setDescription(p[1])
                        .setCreatedMs(System.currentTimeMillis()).build());
                papers.proposed(p[0], "d", p[1]);
            }
            assertThat(papers.followUp(explorer)).as("nothing is decided yet").isZero();
            // the baseline runs again at the better one's confirmation seeds, drawn once it passes
            runAll(runner, Map.of(better, 1.0, worse, 2.2, seed.getCommit(), 1.5));
            assertThat(papers.followUp(explorer)).isEqualTo(1);
            assertThat(papers.followUp(explorer)).as("each proposal is written up at most once").isZero();

            List<Records.SignedPaper> published = Records.papers(explorer, "d");
            assertThat(published).hasSize(1);
            assertThat(published.get(0).paper().getCommitsList()).containsExactly(better);
            assertThat(published.get(0).paper().getTitle()).contains("x 1 -> 1.6487");
            // the metric is a mean over the trial seeds, not one figure its replicas agreed on
            assertThat(published.get(0).paper().getBodyMarkdown()).contains("the mean of").doesNotContain("replica");
            assertThat(published.get(0).paper().getBodyMarkdown()).contains("1.000000").contains("1.500000")
                    .contains("-0.500000");
        }
    }
}
