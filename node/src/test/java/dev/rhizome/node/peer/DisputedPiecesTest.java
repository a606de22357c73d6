package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The disputed copies of a ranged fetch's pieces, and which combinations are worth hashing; no I/O. */
class DisputedPiecesTest {
    static byte[] bytes(int value, int length) {
        byte[] out = new byte[length];
        Arrays.fill(out, (byte) value);
        return out;
    }

    @Test
    void aCopyBehindARoguesGarbageIsStillTried() {
        DisputedPieces disputes = new DisputedPieces();
        disputes.add(1, 5, bytes(0xEE, 1000));  // a rogue's garbage first
        disputes.add(1, 6, bytes(0x11, 1000));  // then an honest holder's true bytes
        disputes.add(1, 7, bytes(0x11, 1000));  // the same bytes again, from another holder

        assertThat(disputes.candidates(Set.of(1))).hasSize(2).anySatisfy(c -> {
            assertThat(c.get(1).bytes()).isEqualTo(bytes(0x11, 1000));
            assertThat(c.get(1).holders()).as("every holder that sent them").containsExactly(6, 7);
        });
    }

    @Test
    void nothingIsTriedWhileAMissingPieceHasNoCopy() {
        DisputedPieces disputes = new DisputedPieces();
        disputes.add(1, 5, bytes(1, 100));
        assertThat(disputes.candidates(Set.of(1, 3))).isEmpty();
        assertThat(disputes.candidates(Set.of())).isEmpty();
        assertThat(disputes.candidates(Set.of(1))).singleElement().satisfies(c -> assertThat(c).containsOnlyKeys(1));
    }

    @Test
    void copiesAndTriesStayBounded() {
        DisputedPieces disputes = new DisputedPieces();
        int piece = (int) (DisputedPieces.MAX_BYTES / 4);
        for (int p = 0; p < 8; p++) {
            for (int holder = 0; holder < 4; holder++) {
                disputes.add(p, holder, bytes(p * 16 + holder, piece));
            }
        }
        assertThat(disputes.candidates(Set.of(0, 1))).as("4 copies fit: 2 of piece 0, 2 of piece 1")
                .hasSize(DisputedPieces.MAX_TRIES)
                .allSatisfy(c -> assertThat(c).containsOnlyKeys(0, 1));
        assertThat(disputes.candidates(Set.of(2))).as("no room was left for piece 2's copies").isEmpty();
        for (Map<Integer, DisputedPieces.Copy> c : disputes.candidates(Set.of(0, 1))) {
            assertThat(c.get(0).bytes()).hasSize(piece);
        }
    }
}
