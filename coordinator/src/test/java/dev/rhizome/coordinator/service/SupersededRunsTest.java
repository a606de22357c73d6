package dev.rhizome.coordinator.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.support.Fixtures;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.UnitStatus;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A confirmation closed as SUPERSEDED withdraws its open runs: the candidate's at its seeds and
 * also the frontier's it was paired with there (those ran on for nothing), except where a
 * confirmation still open needs that commit at that seed. On both stores.
 */
class SupersededRunsTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void theFrontiersRunsAtASupersededCandidatesSeedsAreWithdrawnUnlessStillNeeded(String kind) throws Exception {
        String candidate = Fixtures.commit();
        String other = Fixtures.commit();
        String frontier = Fixtures.commit();
        Confirmation closed = confirmation(candidate, frontier, 1001L, 1002L);
        Confirmation stillOpen = confirmation(other, frontier, 1002L, 1003L);
        SettledHistory.onStore(kind, dir, store -> {
            run(store, tx -> {
                for (long seed : List.of(1001L, 1002L)) {
                    Settlement.queueTrial(tx, "tiny-lm", "d", candidate, "", ByteString.EMPTY, seed, 2, true, 0);
                }
                for (long seed : List.of(1001L, 1002L, 1003L)) {
                    Settlement.queueTrial(tx, "tiny-lm", "d", frontier, "", ByteString.EMPTY, seed, 2, true, 0);
                    Settlement.queueTrial(tx, "tiny-lm", "d", other, "", ByteString.EMPTY, seed, 2, true, 0);
                }
                tx.saveConfirmation(closed.toBuilder().setState(Confirmation.State.SUPERSEDED).build());
                tx.saveConfirmation(stillOpen);
                Settlement.withdrawRunsOf(tx, "d", List.of(closed));
            });
            assertThat(open(store, candidate, 1001L)).as("the candidate's own runs").isZero();
            assertThat(open(store, candidate, 1002L)).isZero();
            assertThat(open(store, frontier, 1001L)).as("the frontier's runs at its seed, needed by no one").isZero();
            assertThat(open(store, frontier, 1002L)).as("still needed by the other confirmation").isEqualTo(2);
            assertThat(open(store, frontier, 1003L)).as("never the closed one's").isEqualTo(2);
            assertThat(open(store, other, 1001L)).as("another commit's runs at that seed").isEqualTo(2);
        });
    }

    private static Confirmation confirmation(String commit, String frontier, long... seeds) {
        Confirmation.Builder c = Confirmation.newBuilder().setDirection("d").setCommit(commit).setFrontier(frontier)
                .setState(Confirmation.State.CONFIRMING).setDerivation(Confirmation.Derivation.DERIVED)
                .addDerivedFrom(commit);
        for (long s : seeds) {
            c.addRandomSeeds(s);
        }
        return c.build();
    }

    private static long open(Store store, String commit, long seed) {
        return store.inTransaction(tx -> tx.pendingUnitsOfTrial(commit, seed).stream()
                .filter(u -> u.state() == UnitStatus.State.OPEN).count());
    }

    private interface Work {
        void on(Store.Transaction tx);
    }

    private static void run(Store store, Work work) {
        store.inTransaction(tx -> {
            work.on(tx);
            return null;
        });
    }
}
