package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.LeaderboardList;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A direction's leaderboard answer is one instance for every asker while its ranking is current,
 * whatever spelling of "everything" they use (no limit, or a limit past the board's size; a class no
 * board has), so cache-busting variations are not each built and encoded again (the probe in
 * docs/performance.md: a whole board of 3,000 entries cost 150-300 times a /healthz per ask). Once
 * the ranking is rebuilt after new results, the answer shows them.
 */
class SharedLeaderboardAnswersTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void variationsOfOneAskShareOneAnswerUntilTheRankingMoves(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> {
            BoardHistory history = new BoardHistory();
            store.inTransaction(tx -> {
                history.open(tx, BoardHistory.DIRECTION);
                return null;
            });
            history.addHistory(store, 30);
            long[] nanos = {0};
            Views views = new Views(store, () -> 0, new SharedViews(() -> nanos[0]));
            String d = BoardHistory.DIRECTION;

            LeaderboardList all = views.leaderboard(d, "", 0);
            assertThat(all.getLeaderboards(0).getEntriesCount()).isEqualTo(30);
            assertThat(views.leaderboard(d, "", 0)).as("asked again").isSameAs(all);
            assertThat(views.leaderboard(d, "", 1000)).as("a limit past the board's size").isSameAs(all);
            assertThat(views.leaderboard(d, "", 31)).isSameAs(all);
            assertThat(views.leaderboard(d, "cpu:x86_64", 0).getLeaderboards(0).getEntriesCount()).isEqualTo(30);
            LeaderboardList five = views.leaderboard(d, "", 5);
            assertThat(five.getLeaderboards(0).getEntriesCount()).isEqualTo(5);
            assertThat(views.leaderboard(d, "", 5)).isSameAs(five);
            LeaderboardList none = views.leaderboard(d, "no-such-class-1", 0);
            assertThat(none.getLeaderboardsCount()).isZero();
            assertThat(views.leaderboard(d, "no-such-class-2", 7)).as("another class no board has").isSameAs(none);

            history.addHistory(store, 5);
            nanos[0] += 3_600_000_000_000L;  // the shared ranking is stale: rebuilt at the next ask
            LeaderboardList later = views.leaderboard(d, "", 0);
            assertThat(later).isNotSameAs(all);
            assertThat(later.getLeaderboards(0).getEntriesCount()).isEqualTo(35);
            assertThat(views.leaderboard(d, "", 5000)).isSameAs(later);
        });
    }
}
