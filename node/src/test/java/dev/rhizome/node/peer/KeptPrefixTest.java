package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What is kept of a transfer that ended early: whole pieces matching the header, and only those. */
class KeptPrefixTest {
    static final byte[] WHOLE = digest(99);
    static final List<ByteString> HEADER = List.of(ByteString.copyFrom(digest(0)), ByteString.copyFrom(digest(1)),
            ByteString.copyFrom(digest(2)), ByteString.copyFrom(digest(3)));

    static byte[] digest(int n) {
        byte[] d = new byte[32];
        d[0] = (byte) n;
        d[31] = 7;
        return d;
    }

    @Test
    void keepsTheLeadingPiecesThatMatchTheHeaderAndResumesAfterThem() {
        KeptPrefix kept = KeptPrefix.of(3_500, WHOLE, 1_000, HEADER, List.of(digest(0), digest(1)), List.of("h"));

        assertThat(kept.pieces()).isEqualTo(2);
        assertThat(kept.length()).isEqualTo(2_000);
        assertThat(kept.have()).containsExactly("h");
    }

    @Test
    void stopsAtTheFirstPieceThatDoesNotMatch() {
        KeptPrefix kept = KeptPrefix.of(3_500, WHOLE, 1_000, HEADER, List.of(digest(0), digest(9), digest(2)), List.of());

        assertThat(kept.length()).isEqualTo(1_000);
    }

    @Test
    void keepsNothingWithoutAWholeMatchingPieceOrWithoutDigests() {
        assertThat(KeptPrefix.of(3_500, WHOLE, 1_000, HEADER, List.of(), List.of())).isNull();
        assertThat(KeptPrefix.of(3_500, WHOLE, 1_000, HEADER, List.of(digest(5)), List.of())).isNull();
        assertThat(KeptPrefix.of(3_500, WHOLE, 1_000, List.of(), List.of(digest(0)), List.of())).isNull();
        assertThat(KeptPrefix.of(3_500, null, 1_000, HEADER, List.of(digest(0)), List.of())).isNull();
    }

    @Test
    void neverKeepsTheLastPieceSoThereIsAlwaysARestToAskFor() {
        KeptPrefix kept = KeptPrefix.of(3_500, WHOLE, 1_000, HEADER, List.of(digest(0), digest(1), digest(2), digest(3)),
                List.of());

        assertThat(kept.length()).isEqualTo(3_000);
    }

    @Test
    void anotherHolderAgreesOnlyWithTheSamePieceSizeAndDigestsForTheKeptPieces() {
        KeptPrefix kept = KeptPrefix.of(3_500, WHOLE, 1_000, HEADER, List.of(digest(0), digest(1)), List.of());

        assertThat(kept.agrees(1_000, HEADER)).isTrue();
        List<ByteString> laterDiffers = List.of(HEADER.get(0), HEADER.get(1), ByteString.copyFrom(digest(8)), HEADER.get(3));
        assertThat(kept.agrees(1_000, laterDiffers)).isTrue(); // the pieces still to come are the whole digest's to check
        List<ByteString> keptDiffers = List.of(HEADER.get(0), ByteString.copyFrom(digest(8)), HEADER.get(2), HEADER.get(3));
        assertThat(kept.agrees(1_000, keptDiffers)).isFalse();
        assertThat(kept.agrees(2_000, HEADER)).isFalse();
        assertThat(kept.agrees(1_000, HEADER.subList(0, 2))).isFalse();
    }
}
