package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PiecePlanTest {
    @Test
    void probesTheFirstHolderThenSpreadsPiecesOverTheActiveHolders() {
        PiecePlan plan = new PiecePlan(5, 3);
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(0, PiecePlan.PROBE));
        assertThat(plan.assign()).isEmpty();  // one probe at a time

        plan.pieces(6);
        plan.probeDone(0);
        plan.pieceDone(0, 0);

        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(0, 1), new PiecePlan.Assignment(1, 2),
                new PiecePlan.Assignment(2, 3));
    }

    @Test
    void aFailedProbeMovesToTheNextHolder() {
        PiecePlan plan = new PiecePlan(2, 4);
        plan.assign();
        plan.probeFailed(0);
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(1, PiecePlan.PROBE));
        plan.probeFailed(1);
        assertThat(plan.exhausted()).isTrue();
    }

    @Test
    void holdersDroppedWhileIdleAreNeverAskedButOneFetchingKeepsItsRequest() {
        PiecePlan plan = new PiecePlan(4, 4);
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(0, PiecePlan.PROBE));
        plan.drop(0);  // fetching: its own request ends it
        plan.drop(1);  // idle, at the address the probe found dead: not probed next
        plan.probeFailed(0);
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(2, PiecePlan.PROBE));
        plan.probeFailed(2);
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(3, PiecePlan.PROBE));
        plan.probeFailed(3);
        assertThat(plan.exhausted()).isTrue();
    }

    @Test
    void aFailingHolderIsReplacedByTheNextAndItsPieceAskedAgain() {
        PiecePlan plan = probed(3, 2, 3);
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(0, 1), new PiecePlan.Assignment(1, 2));

        plan.pieceFailed(1, 2);  // busy, stalled or a bad piece: dropped for this bundle

        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(2, 2));
        assertThat(plan.exhausted()).isFalse();
    }

    @Test
    void theEndgameDoublesUpOnASlowPieceAndCancelsTheLoser() {
        PiecePlan plan = probed(2, 2, 3);
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(0, 1), new PiecePlan.Assignment(1, 2));
        plan.pieceDone(0, 1);

        // Nothing pending: holder 0 also asks for the piece holder 1 is slow with.
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(0, 2));
        assertThat(plan.assign()).isEmpty();  // never a third copy

        assertThat(plan.pieceDone(0, 2)).isEqualTo(List.of(1));
        assertThat(plan.complete()).isTrue();
    }

    @Test
    void everyHolderGoneWithPiecesMissingIsExhausted() {
        PiecePlan plan = probed(2, 2, 2);
        // One piece left and two holders: the endgame asks both.
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(0, 1), new PiecePlan.Assignment(1, 1));
        plan.pieceFailed(0, 1);
        assertThat(plan.exhausted()).isFalse();
        assertThat(plan.assign()).isEmpty();
        plan.pieceFailed(1, 1);
        assertThat(plan.exhausted()).isTrue();
        assertThat(plan.complete()).isFalse();
    }

    /** A plan whose probe of holder 0 succeeded: the bundle has {@code pieces} pieces and piece 0 is in. */
    private static PiecePlan probed(int holders, int maxActive, int pieces) {
        PiecePlan plan = new PiecePlan(holders, maxActive);
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(0, PiecePlan.PROBE));
        plan.pieces(pieces);
        plan.probeDone(0);
        plan.pieceDone(0, 0);
        return plan;
    }

    /**
     * A piece whose bytes failed the first holder's digest is asked for last: the other pieces are
     * fetched first, so the disputed copy can be judged against the whole bundle, rather than each
     * holder in turn being asked for that lowest piece, failing it and being dropped.
     */
    @Test
    void aDisputedPieceIsAskedForOnlyOnceNoOtherIsLeft() {
        PiecePlan plan = new PiecePlan(3, 3);
        plan.assign();
        plan.pieces(5);
        plan.probeDone(0);
        plan.pieceDone(0, 0);
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(0, 1), new PiecePlan.Assignment(1, 2),
                new PiecePlan.Assignment(2, 3));
        plan.pieceFailed(0, 1);      // the first holder said BUSY for its piece
        plan.pieceDone(1, 2);
        assertThat(plan.assign()).containsExactly(new PiecePlan.Assignment(1, 1));
        plan.pieceDisputed(1, 1);    // holder 1's bytes fail the first holder's digest
        plan.pieceDone(2, 3);
        assertThat(plan.assign()).as("piece 4 before the disputed piece 1").containsExactly(new PiecePlan.Assignment(2, 4));
        plan.pieceDone(2, 4);
        assertThat(plan.exhausted()).isFalse();
        assertThat(plan.assign()).as("no other piece left: the disputed one is asked for")
                .containsExactly(new PiecePlan.Assignment(2, 1));
    }
}
