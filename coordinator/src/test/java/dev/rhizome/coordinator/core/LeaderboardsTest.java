package dev.rhizome.coordinator.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.LeaderboardEntry;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Result;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeaderboardsTest {
    private static final MetricSpec LOWER = MetricSpec.newBuilder().setName("val_bpb").setLowerIsBetter(true).build();
    private static final List<Leaderboards.Contender> CONTENDERS = List.of(
            new Leaderboards.Contender("base", "", ByteString.EMPTY),
            new Leaderboards.Contender("a", "base", ByteString.EMPTY),
            new Leaderboards.Contender("b", "base", ByteString.EMPTY));

    private static Result ok(String commit, double metric, String hardwareClass) {
        return Result.newBuilder().setCommit(commit).setStatus(Result.Status.OK).setMetric(metric)
                .setHardwareClass(hardwareClass).build();
    }

    private static final List<Result> RESULTS = List.of(
            ok("base", 3.2, "cpu"), ok("a", 3.0, "cpu"), ok("a", 3.1, "cpu"), ok("b", 3.3, "cpu"),
            ok("b", 2.0, "gpu"), ok("stranger", 1.0, "cpu"),
            Result.newBuilder().setCommit("base").setStatus(Result.Status.CRASH).setHardwareClass("cpu").build());

    @Test
    void ranksCommitsBestFirstPerHardwareClassAndFlagsTheFrontier() {
        LeaderboardList boards = Leaderboards.build("d", LOWER, CONTENDERS, RESULTS, "a", "");
        assertThat(boards.getLeaderboardsList()).extracting(b -> b.getHardwareClass()).containsExactly("cpu", "gpu");
        var cpu = boards.getLeaderboards(0);
        assertThat(cpu.getEntriesList()).extracting(LeaderboardEntry::getCommit).containsExactly("a", "base", "b");
        assertThat(cpu.getEntries(0).getMetric()).isEqualTo(3.05);
        assertThat(cpu.getEntries(0).getReplicas()).isEqualTo(2);
        assertThat(cpu.getEntries(0).getFrontier()).isTrue();
        assertThat(cpu.getEntries(1).getFrontier()).isFalse();
    }

    @Test
    void filtersByHardwareClassAndHonoursHigherIsBetter() {
        LeaderboardList gpu = Leaderboards.build("d", LOWER, CONTENDERS, RESULTS, "a", "gpu");
        assertThat(gpu.getLeaderboardsList()).singleElement()
                .satisfies(b -> assertThat(b.getEntriesList()).extracting(LeaderboardEntry::getCommit).containsExactly("b"));
        LeaderboardList higher = Leaderboards.build("d", LOWER.toBuilder().setLowerIsBetter(false).build(), CONTENDERS,
                RESULTS, "a", "cpu");
        assertThat(higher.getLeaderboards(0).getEntriesList()).extracting(LeaderboardEntry::getCommit)
                .containsExactly("b", "base", "a");
    }
}
