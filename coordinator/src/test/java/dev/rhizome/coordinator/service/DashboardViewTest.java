package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.store.SqliteStore;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.envelope.Envelopes;
import dev.rhizome.protocol.identity.Identity;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's document stays bounded however long the history: the newest results as points,
 * the adopted path and the newest experiments as the tree, with totals for what is left out.
 */
class DashboardViewTest {
    @TempDir
    Path dir;

    private final Identity operator = Identity.generate();
    private final Identity runner = Identity.generate();

    @Test
    void aLongHistoryShowsItsNewestResultsAndExperimentsTheWholeAdoptedPathAndTheTotals() throws Exception {
        try (SqliteStore store = SqliteStore.open(dir)) {
            Seed seed = Fixtures.seed(operator, "tiny-lm", Fixtures.commit(), Fixtures.manifest(1, 0.01), 1);
            Direction direction = Fixtures.direction(operator, "d", "tiny-lm", seed.getCommit(), 2);
            // An adopted path of three experiments registered first, then 30 more off the base.
            List<String> path = new ArrayList<>();
            List<String> later = new ArrayList<>();
            store.inTransaction(tx -> {
                tx.insertSeed(seed, Envelopes.sign(operator, seed), 1);
                tx.insertDirection(direction, Envelopes.sign(operator, direction), 2);
                String parent = seed.getCommit();
                long t = 10;
                for (int i = 0; i < 3; i++) {
                    String c = Fixtures.commit();
                    experiment(tx, c, parent, t++);
                    result(tx, c, 3.0 - i, t++);
                    path.add(c);
                    parent = c;
                }
                for (int i = 0; i < 30; i++) {
                    String c = Fixtures.commit();
                    experiment(tx, c, seed.getCommit(), t++);
                    result(tx, c, 2.5 + i / 100.0, t++);
                    later.add(c);
                }
                tx.updateFrontier("d", new Frontier(path.get(2), OptionalDouble.of(1.0), "cpu"));
                return null;
            });
            Views views = new Views(store, () -> 0);
            DashboardView view = new DashboardView(store, views, new PeerDirectory(store, Clock.systemUTC()), 10, 5);

            JsonObject d = JsonParser.parseString(view.json()).getAsJsonObject().getAsJsonArray("directions")
                    .get(0).getAsJsonObject();

            JsonArray points = d.getAsJsonArray("results");
            assertThat(points).hasSize(10);
            assertThat(d.get("results_total").getAsInt()).isEqualTo(33);
            // the newest ten, oldest of them first
            assertThat(commits(points)).containsExactlyElementsOf(later.subList(20, 30));
            assertThat(d.get("experiments_total").getAsInt()).isEqualTo(33);
            JsonArray tree = d.getAsJsonArray("tree");
            assertThat(commits(tree)).containsExactlyInAnyOrderElementsOf(concat(later.subList(25, 30), path));
            for (JsonElement n : tree) {
                JsonObject node = n.getAsJsonObject();
                String expected = path.contains(node.get("commit").getAsString()) ? "adopted" : "dead end";
                assertThat(node.get("state").getAsString()).as("state of %s", node).isEqualTo(expected);
                assertThat(node.has("metric")).isTrue();
            }
            // the frontier's steps are the whole adopted path, though older than every point shown
            assertThat(commits(d.getAsJsonArray("frontier_steps"))).containsExactlyElementsOf(path);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static List<String> commits(JsonArray items) {
        List<String> out = new ArrayList<>();
        items.forEach(e -> out.add(e.getAsJsonObject().get("commit").getAsString()));
        return out;
    }

    private void experiment(Store.Transaction tx, String commit, String parent, long t) {
        Experiment e = Fixtures.experiment(runner, "tiny-lm", "d", commit, parent, t);
        tx.insertExperiment(e, Envelopes.sign(runner, e), t);
    }

    private void result(Store.Transaction tx, String commit, double metric, long t) {
        WorkUnit unit = WorkUnit.newBuilder().setId("u-" + commit).setSeed("tiny-lm").setDirection("d")
                .setCommit(commit).build();
        Result r = Fixtures.result(runner, unit, metric, t);
        SignedEnvelope envelope = Envelopes.sign(runner, r);
        tx.insertResult(r, envelope, Envelopes.id(envelope), t);
    }

    @Test
    void untrustedTextIsShownWithoutOverridesOrControlCharacters() {
        // records stored before the coordinator refused such text: a title that reads backwards
        assertThat(DashboardView.shown("fix \u202etsal\u202c lr \u2066x\u2069 \u001b[2J"))
                .isEqualTo("fix ?tsal? lr ?x? ?[2J");
        assertThat(DashboardView.shown("line\nbreak \u00fcber")).isEqualTo("line\nbreak \u00fcber");
    }
}
