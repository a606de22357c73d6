package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.core.TrialRequeues;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.protocol.envelope.Envelopes;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code GET /v1/directions} says why each unmeasured base is not measured (its trials' requeues,
 * {@code not_measured_reason}, {@code requeues_spent}). Round 35 read the requeues, and the pending
 * units of each trial queued again, once per unmeasured direction of the page: a page of 100
 * directions waiting on made-up classes cost hundreds of statements. The page now reads them in one
 * statement each, whatever the number of such directions on it: counted by the store itself, a
 * page with 12 of them runs as many statements as one with 3, and says the same of each.
 */
class DirectionsPageStatementsTest {
    private static final long SEED_A = 7;
    private static final long SEED_B = 8;

    @TempDir
    Path dir;

    private final BoardHistory history = new BoardHistory();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aPageReadsItsUnmeasuredBasesRequeuesInAFewStatementsWhateverTheirNumber(String kind) throws Exception {
        BoardHistory.onStore(kind, dir, this::check);
    }

    private void check(Store store) {
        store.inTransaction(tx -> {
            history.open(tx, "measured");
            tx.updateFrontier("measured", new Frontier(history.seed.getCommit(), OptionalDouble.of(3.0), "cpu:x86_64"));
            return null;
        });
        waiting(store, 0, 3);
        long few = statementsOfAPage(store);
        waiting(store, 3, 12);
        long many = statementsOfAPage(store);
        assertThat(many).as("statements of a page with 12 bases waiting on requeues, against %d with 3", few)
                .isEqualTo(few);

        Map<String, DirectionStatus> page = page(store).getDirectionsList().stream()
                .collect(Collectors.toMap(d -> d.getDirection().getName(), Function.identity()));
        assertThat(page).hasSize(13);
        assertThat(page.get("measured").getNotMeasuredReason()).isEmpty();
        for (int i = 0; i < 12; i++) {
            DirectionStatus d = page.get("waiting-" + i);
            if (i % 3 == 0) {
                assertThat(d.getRequeuesSpent()).as("%s: spent at one seed, nothing pending there", i).isTrue();
                assertThat(d.getNotMeasuredReason()).contains("queued again 3 times at seed(s) [" + SEED_A + "]")
                        .contains("until an operator acts");
            } else if (i % 3 == 1) {
                assertThat(d.getRequeuesSpent()).as("%s: queued the most times, its replicas still pending", i).isFalse();
                assertThat(d.getNotMeasuredReason()).contains("(3 of 3 times at most a trial)");
            } else {
                assertThat(d.getRequeuesSpent()).isFalse();
                assertThat(d.getNotMeasuredReason()).contains("(1 of 3 times at most a trial)");
            }
        }
    }

    /**
     * Directions {@code from} to {@code to}, each on a base of its own that is not measured: every
     * third one's trial at {@link #SEED_A} queued again the most times and nothing pending (spent),
     * the next one's the same with its last replicas pending, the next once (and a seed never
     * queued again, {@link #SEED_B}, pending).
     */
    private void waiting(Store store, int from, int to) {
        store.inTransaction(tx -> {
            for (int i = from; i < to; i++) {
                String name = "waiting-" + i;
                String base = Fixtures.commit();
                Direction d = Fixtures.direction(history.operator, name, history.seed.getName(), base, history.time++);
                tx.insertDirection(d, Envelopes.sign(history.operator, d), history.time);
                int times = i % 3 == 2 ? 1 : TrialRequeues.MAX_PER_TRIAL;
                for (int n = 0; n < times; n++) {
                    tx.countTrialRequeue(base, SEED_A);
                }
                if (i % 3 == 1) {
                    Settlement.queueTrial(tx, history.seed.getName(), name, base, "", ByteString.EMPTY, SEED_A, 2,
                            history.time);
                }
                Settlement.queueTrial(tx, history.seed.getName(), name, base, "", ByteString.EMPTY, SEED_B, 1,
                        history.time);
            }
            return null;
        });
    }

    private DirectionList page(Store store) {
        return new Views(store, () -> 0).directions(PageRequest.parse(Views.DIRECTIONS, Views.cursorFields(Views.DIRECTIONS), "100", ""));
    }

    /** Statements run by a page of every direction, read a second time (the first may fill what a store keeps). */
    private long statementsOfAPage(Store store) {
        page(store);
        long start = store.statementsRun();
        assertThat(page(store).getDirectionsCount()).isPositive();
        return store.statementsRun() - start;
    }
}
