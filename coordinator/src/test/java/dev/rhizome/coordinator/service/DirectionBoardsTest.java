package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.LeaderboardEntry;
import dev.rhizome.proto.v1.LeaderboardList;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The leaderboards a coordinator keeps are bounded whatever is asked for: the boards by their
 * weight in all and by idle time, the descriptions shown by theirs (a board keeps none); a board
 * dropped is built again as the one kept would have been, and an unknown direction keeps nothing.
 */
class DirectionBoardsTest {
    private static final int DESCRIPTION_CHARS = 16_000;
    private static final long BOARDS_WEIGHT = 32 << 10;
    private static final long DESCRIPTIONS_WEIGHT = 256 << 10;

    @TempDir
    Path dir;

    private final BoardHistory history = new BoardHistory();
    private final long[] nanos = {0};
    private final SharedViews clock = new SharedViews(() -> nanos[0]);

    /**
     * Forty directions, each with five experiments of 16,000-character descriptions, each asked for
     * once (as anyone may, and any key may open directions): what is kept stays within its bounds,
     * a board weighs less than one of its descriptions, and every answer is still whole.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void manyDirectionsAskedOnceWithLongDescriptionsStayWithinTheBounds(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> {
            List<String> names = new ArrayList<>();
            store.inTransaction(tx -> {
                for (int i = 0; i < 40; i++) {
                    String name = "many-" + i;
                    names.add(name);
                    history.open(tx, name);
                    for (int x = 0; x < 5; x++) {
                        String commit = Fixtures.commit();
                        history.experiment(tx, name, commit, history.seed.getCommit(),
                                (char) ('a' + x) + "x".repeat(DESCRIPTION_CHARS - 1));
                        history.result(tx, name, commit, 3.0 - x);
                    }
                }
                return null;
            });
            DirectionBoards boards = new DirectionBoards(store, clock, BOARDS_WEIGHT, Duration.ofMinutes(10),
                    () -> nanos[0]);
            BoardDescriptions descriptions = new BoardDescriptions(store, DESCRIPTIONS_WEIGHT);
            Views views = new Views(store, () -> 0, boards, descriptions);
            for (String name : names) {
                LeaderboardList answer = views.leaderboard(name, "");
                assertThat(answer).isEqualTo(BoardHistory.wholeHistoryBoard(store, name));
                assertThat(answer.getLeaderboards(0).getEntriesList()).extracting(LeaderboardEntry::getDescription)
                        .allSatisfy(d -> assertThat(d).hasSize(DESCRIPTION_CHARS));
                assertThat(boards.weight()).isLessThanOrEqualTo(BOARDS_WEIGHT);
                assertThat(descriptions.weight()).isLessThanOrEqualTo(DESCRIPTIONS_WEIGHT);
            }
            assertThat(boards.size()).as("boards kept of the 40 asked for")
                    .isBetween(1L, BOARDS_WEIGHT / DirectionBoard.BOARD_BYTES);
            assertThat(boards.weight()).as("boards keep no descriptions: five of them weigh 160 KB a board")
                    .isLessThan(boards.size() * 2 * DESCRIPTION_CHARS);

            for (String name : names) {
                assertThat(views.leaderboard(name, "")).as("kept, or dropped and built again")
                        .isEqualTo(BoardHistory.wholeHistoryBoard(store, name));
            }
        });
    }

    /**
     * A board nobody asked for in its idle time is dropped (the clock is the cache's, moved by the
     * test), and built again on its next ask from the whole history, new results included, equal
     * to the board kept up to date; a direction that does not exist is a 404 and keeps nothing.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void anIdleBoardIsDroppedAndBuiltAgainAsTheKeptOneWouldBe(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, store -> {
            store.inTransaction(tx -> {
                history.open(tx, BoardHistory.DIRECTION);
                return null;
            });
            history.addHistory(store, 20);
            DirectionBoards boards = new DirectionBoards(store, clock, DirectionBoards.MAX_WEIGHT,
                    Duration.ofMinutes(10), () -> nanos[0]);
            Views views = new Views(store, () -> 0, boards, new BoardDescriptions(store));
            Views keptAlong = new Views(store, () -> 0, clock);
            assertThat(views.leaderboard(BoardHistory.DIRECTION, "").getLeaderboards(0).getEntriesCount()).isEqualTo(20);
            keptAlong.leaderboard(BoardHistory.DIRECTION, "");
            assertThat(boards.size()).isEqualTo(1);

            history.addHistory(store, 5);
            nanos[0] += Duration.ofMinutes(11).toNanos();
            assertThat(boards.size()).as("dropped once idle").isZero();
            LeaderboardList rebuilt = views.leaderboard(BoardHistory.DIRECTION, "");
            assertThat(rebuilt.getLeaderboards(0).getEntriesCount()).isEqualTo(25);
            assertThat(rebuilt).isEqualTo(keptAlong.leaderboard(BoardHistory.DIRECTION, ""))
                    .isEqualTo(BoardHistory.wholeHistoryBoard(store, BoardHistory.DIRECTION));

            assertThatThrownBy(() -> views.leaderboard("no-such-direction", "")).isInstanceOf(Rejection.class)
                    .hasMessageContaining("unknown direction");
            assertThat(boards.size()).as("an unknown direction's board is not kept").isEqualTo(1);
        });
    }
}
