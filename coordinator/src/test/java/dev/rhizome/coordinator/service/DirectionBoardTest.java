package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A direction's leaderboard brought up to date from what happened since its last build
 * ({@link DirectionBoard}) is the board built from the direction's whole history, step after step
 * of a history with adoptions, results found INVALID by their trial (and one cleared again),
 * late results, failed runs, ties, several hardware classes, a base measured on another direction,
 * and a closure; and a coordinator that starts late (a board first built on a long history) agrees too.
 */
class DirectionBoardTest {
    @TempDir
    Path dir;

    private final BoardHistory history = new BoardHistory();
    private final Seed seed = history.seed;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void theBoardKeptUpToDateIsTheBoardBuiltFromTheWholeHistoryAtEveryStep(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::check);
    }

    private void check(Store store) {
        long[] nanos = {0};
        // an hour passes before each look: every look rebuilds, so each step is a build on top of the last
        Views views = new Views(store, () -> 0, new SharedViews(() -> nanos[0]));
        List<Consumer<Store.Transaction>> steps = new ArrayList<>();
        List<String> commits = new ArrayList<>();
        List<String> envelopeIds = new ArrayList<>();
        steps.add(tx -> history.open(tx, "d", "other"));
        steps.add(tx -> {
            for (int i = 0; i < 6; i++) {
                String c = Fixtures.commit();
                commits.add(c);
                history.experiment(tx, "d", c, i == 0 ? seed.getCommit() : commits.get(i - 1));
            }
            envelopeIds.add(history.result(tx, "d", seed.getCommit(), 3.0, "cpu", Result.Status.OK, false));
            envelopeIds.add(history.result(tx, "other", seed.getCommit(), 2.9, "cpu", Result.Status.OK, false));
        });
        steps.add(tx -> {
            envelopeIds.add(history.result(tx, "d", commits.get(0), 2.5, "cpu", Result.Status.OK, false));
            envelopeIds.add(history.result(tx, "d", commits.get(0), 2.7, "cpu", Result.Status.OK, false));
            envelopeIds.add(history.result(tx, "d", commits.get(1), 2.5, "cpu", Result.Status.OK, false));  // a tie
            envelopeIds.add(history.result(tx, "d", commits.get(2), 0.1, "gpu", Result.Status.OK, false));
            envelopeIds.add(history.result(tx, "d", commits.get(3), 0, "cpu", Result.Status.CRASH, false));
        });
        steps.add(tx -> tx.updateFrontier("d", new Frontier(commits.get(0), OptionalDouble.of(2.6), "cpu")));
        steps.add(tx -> {
            tx.setResultState(envelopeIds.get(3), ResultVerdict.State.INVALID);  // outvoted
            tx.setResultState(envelopeIds.get(2), ResultVerdict.State.VALID);
            envelopeIds.add(history.result(tx, "d", commits.get(4), 1.0, "cpu", Result.Status.OK, true));  // late
        });
        steps.add(tx -> {
            String id = history.result(tx, "d", commits.get(5), 2.0, "cpu", Result.Status.OK, false);
            tx.setResultState(id, ResultVerdict.State.INVALID);  // stored and outvoted between two builds
            envelopeIds.add(id);
            tx.setResultState(envelopeIds.get(1), ResultVerdict.State.INVALID);  // the base, on the other direction
        });
        steps.add(tx -> tx.setResultState(envelopeIds.get(3), ResultVerdict.State.VALID));  // counted again
        steps.add(tx -> {
            String c = Fixtures.commit();
            commits.add(c);
            history.experiment(tx, "d", c, commits.get(0), "a long description".repeat(1_000));
            envelopeIds.add(history.result(tx, "d", c, 2.4, "cpu", Result.Status.OK, false));
            tx.updateFrontier("d", new Frontier(c, OptionalDouble.of(2.4), "cpu"));
            history.result(tx, "other", seed.getCommit(), 3.1, "gpu", Result.Status.OK, false);
        });
        steps.add(tx -> {
            tx.closeDirection("d", "budget spent", history.time++);
            history.result(tx, "d", commits.get(6), 2.2, "cpu", Result.Status.OK, false);  // a late runner's, after the close
        });
        for (Consumer<Store.Transaction> step : steps) {
            store.inTransaction(tx -> {
                step.accept(tx);
                return null;
            });
            if (store.inReadTransaction(tx -> tx.direction("d")).isPresent()) {
                nanos[0] += 3_600_000_000_000L;
                LeaderboardList kept = views.leaderboard("d", "");
                assertThat(kept).isEqualTo(BoardHistory.wholeHistoryBoard(store, "d"));
                assertThat(new Views(store, () -> 0).leaderboard("d", "")).as("built at once on the history so far")
                        .isEqualTo(kept);
            }
        }
        nanos[0] += 3_600_000_000_000L;
        LeaderboardList last = views.leaderboard("d", "");
        assertThat(last.getLeaderboardsList()).extracting(b -> b.getHardwareClass()).containsExactly("cpu", "gpu");
        assertThat(last.getLeaderboards(0).getEntriesList()).extracting(e -> e.getCommit())
                .doesNotContain(commits.get(4), commits.get(5)).contains(commits.get(0), commits.get(6));
        assertThat(last.getLeaderboards(0).getEntriesList()).filteredOn(e -> e.getCommit().equals(commits.get(6)))
                .singleElement().satisfies(e -> assertThat(e.getDescription()).hasSize(18_000));
    }
}
