package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import java.nio.file.Path;
import java.time.Clock;
import java.util.OptionalDouble;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A frontier and a baseline stored infinite (by a coordinator from before core.FiniteMean; nothing
 * rewrites stored means) leave the dashboard's data JSON that a strict parser reads, with those
 * numbers null: Gson wrote them bare ({@code Infinity}), and the page could read nothing, for
 * every viewer, until the direction's frontier moved.
 */
class DashboardNonFiniteTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aFrontierAndBaselineStoredInfiniteAreNullInTheDashboardsData(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::check);
    }

    private void check(Store store) {
        BoardHistory history = new BoardHistory();
        store.inTransaction(tx -> {
            history.open(tx, BoardHistory.DIRECTION);
            return null;
        });
        history.addHistory(store, 3);
        String commit = Fixtures.commit();
        store.inTransaction(tx -> {
            history.experiment(tx, BoardHistory.DIRECTION, commit, history.seed.getCommit());
            history.result(tx, BoardHistory.DIRECTION, commit, 3.0);
            tx.updateFrontier(BoardHistory.DIRECTION, new Frontier(commit, OptionalDouble.of(Double.POSITIVE_INFINITY),
                    "cpu:x86_64"));
            tx.setBaselineMetric(BoardHistory.DIRECTION, Double.NEGATIVE_INFINITY);
            return null;
        });
        Views views = new Views(store, () -> 0);
        String json = new DashboardView(store, views, new PeerDirectory(store, Clock.systemUTC())).json();

        assertThat(json).doesNotContain("Infinity").doesNotContain("NaN");
        JsonObject d = JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("directions").get(0).getAsJsonObject();
        assertThat(d.get("name").getAsString()).isEqualTo(BoardHistory.DIRECTION);
        assertThat(d.get("frontier_metric").isJsonNull()).as("frontier_metric of %s", d).isTrue();
        assertThat(d.get("baseline_metric").isJsonNull()).as("baseline_metric of %s", d).isTrue();
        assertThat(d.getAsJsonArray("results")).as("the direction's results are still shown").hasSize(4);
    }
}
