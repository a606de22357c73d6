package dev.rhizome.ops.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.Confirmation;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineTest {
    private static Confirmation confirmation(String direction, String commit, Confirmation.State state) {
        return Confirmation.newBuilder().setDirection(direction).setCommit(commit).setState(state)
                .addAllRandomSeeds(List.of(11L, 12L, 13L)).setReason(state == Confirmation.State.REFUSED ? "mean gain -0.01" : "")
                .build();
    }

    private static Adoption adoption(String direction, String commit, long adoptedMs) {
        return Adoption.newBuilder().setDirection(direction).setCommit(commit).setAdoptedMs(adoptedMs)
                .addAllRandomSeeds(List.of(1L, 2L, 3L)).addAllFrontierMetrics(List.of(2.1, 2.1, 2.1))
                .addAllCandidateMetrics(List.of(2.0, 2.0, 2.0)).setMeanGain(0.1)
                .addAllConfirmationSeeds(List.of(11L, 12L, 13L)).setConfirmationMeanGain(0.09).build();
    }

    @Test
    void countsCandidatesByTheirStageOverEveryDirectionAndPerDirection() {
        Pipeline p = new Pipeline(List.of(
                confirmation("lr", "aaaa1111", Confirmation.State.CONFIRMING),
                confirmation("width", "bbbb2222", Confirmation.State.CONFIRMING),
                confirmation("width", "cccc3333", Confirmation.State.CONFIRMED),
                confirmation("ctx", "dddd4444", Confirmation.State.REFUSED)),
                List.of(adoption("width", "cccc3333", 2_000), adoption("lr", "eeee5555", 1_000)));

        assertThat(p.confirming()).isEqualTo(2);
        assertThat(p.confirmed()).isEqualTo(1);
        assertThat(p.refused()).isEqualTo(1);
        assertThat(p.adoptionCount()).isEqualTo(2);
        assertThat(p.confirmingIn("width")).isEqualTo(1);
        assertThat(p.confirmingIn("ctx")).isZero();
        assertThat(p.adoptionsIn("width")).isEqualTo(1);
        assertThat(p.adoptionsIn("ctx")).isZero();
        assertThat(p.first()).get().extracting(Adoption::getCommit).as("by the coordinator's clock").isEqualTo("eeee5555");
        assertThat(Pipeline.EMPTY.first()).isEmpty();
    }

    @Test
    void eachStageACandidateReachesIsToldOnceAsItHappens() {
        Pipeline drawn = new Pipeline(List.of(confirmation("lr", "aaaa1111bbbb", Confirmation.State.CONFIRMING)), List.of());
        assertThat(drawn.newsSince(Pipeline.EMPTY, "val_bpb")).containsExactly(
                "candidate aaaa1111 on lr passed at the trial seeds; confirming at 3 fresh seeds [11, 12, 13]");
        assertThat(drawn.newsSince(drawn, "val_bpb")).as("nothing new").isEmpty();

        Pipeline adopted = new Pipeline(List.of(confirmation("lr", "aaaa1111bbbb", Confirmation.State.CONFIRMED),
                confirmation("ctx", "dddd4444", Confirmation.State.REFUSED)), List.of(adoption("lr", "aaaa1111bbbb", 5)));
        assertThat(adopted.newsSince(drawn, "val_bpb")).containsExactly(
                "candidate dddd4444 on ctx passed at the trial seeds; confirming at 3 fresh seeds [11, 12, 13]",
                "candidate dddd4444 on ctx refused at its fresh seeds: mean gain -0.01",
                "ADOPTED aaaa1111 on lr: val_bpb 2.1000 -> 2.0000, mean gain 0.1000 at trial seeds [1, 2, 3],"
                        + " confirmed with 0.0900 at fresh seeds [11, 12, 13]");
        assertThat(adopted.newsSince(adopted, "val_bpb")).isEmpty();
    }
}
