package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.BundleFile;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What each range of a fetch in pieces asks: the probe from the kept prefix alone, a piece from the probe's header. */
class RangeAskTest {
    static final byte[] BUNDLE = new byte[32];
    static final List<ByteString> PIECES = Collections.nCopies(5, ByteString.copyFrom(new byte[32]));

    @Test
    void aFreshFetchProbesTheFirstPieceOfAnyBundle() {
        RangeAsk probe = RangeAsk.probe(null);

        assertThat(probe.offset()).isZero();
        assertThat(probe.length()).isEqualTo(BundleFile.PIECE_BYTES);
        assertThat(probe.bundleSha256()).as("no bundle named: the header will say which").isNull();
        assertThat(probe.resuming()).isNull();
    }

    @Test
    void aResumedFetchProbesThePiecePastTheKeptPrefixNamingItsBundle() {
        KeptPrefix kept = new KeptPrefix(4_500, BUNDLE, 1_000, PIECES, 2, List.of());

        RangeAsk probe = RangeAsk.probe(kept);

        assertThat(probe.offset()).isEqualTo(2_000);
        assertThat(probe.length()).isEqualTo(1_000);
        assertThat(probe.bundleSha256()).isEqualTo(BUNDLE);
        assertThat(probe.resuming()).as("its header must name the kept pieces' digests").isSameAs(kept);
    }

    @Test
    void aPieceIsCutAtTheBundlesEndAndNamesTheProbesBundle() {
        assertThat(RangeAsk.piece(1, 1_000, 4_500, BUNDLE)).isEqualTo(new RangeAsk(1_000, 1_000, BUNDLE, null));
        RangeAsk last = RangeAsk.piece(4, 1_000, 4_500, BUNDLE);

        assertThat(last.offset()).isEqualTo(4_000);
        assertThat(last.length()).isEqualTo(500);
        assertThat(last.resuming()).isNull();
    }
}
