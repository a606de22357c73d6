package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.protocol.envelope.Envelopes;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A result finds the directions it may move (their frontier on its commit) by a look-up of the
 * directions standing on the commit, not by reading every direction: on a store shared by several
 * coordinators, which keeps nothing between transactions, a result read every direction four
 * times (twice to name its locks, twice to settle), so its cost grew with the directions opened.
 */
class SettlementReadsTest {
    private static final int OTHERS = 40;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aResultReadsNoMoreRowsWithManyDirectionsOnOtherCommits(String kind) throws Exception {
        SettledHistory.onStore(kind, dir, store -> checkResultCosts(new SettledHistory(store, Fixtures.manifest(1, 0.01))));
    }

    private void checkResultCosts(SettledHistory h) {
        resultCost(h);  // the base's measurement: the frontier is measured from here on
        h.experiment(h.base);
        long alone = resultCost(h);

        h.store.inTransaction(tx -> {
            for (int i = 0; i < OTHERS; i++) {
                // as operators open them: on the seed's commit, which no result below is on
                Direction other = Fixtures.direction(h.operator, "other-" + i, "tiny-lm", h.base, h.clock.millis());
                tx.insertDirection(other, Envelopes.sign(h.operator, other), h.clock.millis());
            }
            return null;
        });
        h.experiment(h.base);
        resultCost(h);  // whatever the store keeps is filled again
        h.experiment(h.base);
        assertThat(resultCost(h))
                .as("rows a result read with %d more directions on another commit, against %d with none", OTHERS, alone)
                .isLessThanOrEqualTo(alone);
    }

    /** Rows read by storing and settling the result of the next open evaluation. */
    private static long resultCost(SettledHistory h) {
        SettledHistory.Claimed claimed = h.claim().orElseThrow();
        long before = h.store.rowsRead();
        h.report(claimed, (commit, seed) -> 3.2);
        return h.store.rowsRead() - before;
    }
}
