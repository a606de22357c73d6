package dev.rhizome.client.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.client.agent.ReportReads.ReportRead;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.SimilarWork;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The claim's "look like yours" line says whose the similar experiments are. */
class SimilarWorkTallyTest {
    private static final ByteString ME = ByteString.copyFromUtf8("me");
    private static final ByteString THEM = ByteString.copyFromUtf8("them");

    private static SimilarWork experiment(String commit, ByteString by) {
        return SimilarWork.newBuilder().setKind("experiment").setCommit(commit).addCommits(commit).setProposer(by).build();
    }

    private static SimilarWorkOutcomes outcomes(List<SimilarWork> similar, boolean adoptFirst) {
        Map<String, ReportRead> reads = new LinkedHashMap<>();
        for (SimilarWork s : similar) {
            reads.put(s.getCommit(), new ReportRead(ExperimentReport.newBuilder().setDecided(true)
                    .setAdopted(adoptFirst && reads.isEmpty()).build(), null));
        }
        return new SimilarWorkOutcomes(similar, reads, ME);
    }

    @Test
    void oneOwnEarlierExperimentIsNotCalledTheirs() {
        assertThat(outcomes(List.of(experiment("a".repeat(40), ME)), false).tally())
                .isEqualTo("1 experiment(s) of your own, 1 decided, 0 adopted");
    }

    @Test
    void othersAndOwnAreCountedApart() {
        assertThat(outcomes(List.of(experiment("a".repeat(40), THEM), experiment("b".repeat(40), ME),
                experiment("c".repeat(40), THEM)), true).tally())
                .isEqualTo("3 experiment(s) (2 of others, 1 your own), 3 decided, 1 adopted");
        assertThat(outcomes(List.of(experiment("a".repeat(40), THEM)), true).tally())
                .isEqualTo("1 experiment(s) of others, 1 decided, 1 adopted");
    }

    @Test
    void hypothesesWithNoExperimentYetBelongToNoOne() {
        SimilarWork hypothesis = SimilarWork.newBuilder().setKind("hypothesis").setText("x").setProposer(ME).build();
        assertThat(new SimilarWorkOutcomes(List.of(hypothesis), Map.of(), ME).tally())
                .isEqualTo("0 experiment(s), 0 decided, 0 adopted");
    }
}
