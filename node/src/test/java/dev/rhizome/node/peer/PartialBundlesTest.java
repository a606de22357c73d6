package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kept prefixes are bounded in number and bytes, the oldest dropped first, its temporary file deleted. */
class PartialBundlesTest {
    static PartialBundles.Partial partial(int pieces, int pieceBytes) throws Exception {
        ReceivedBytes bytes = new ReceivedBytes(16);  // spills to a file past 16 bytes
        bytes.append(ByteBuffer.wrap(new byte[pieces * pieceBytes]));
        List<ByteString> digests = java.util.Collections.nCopies(pieces + 1, ByteString.copyFrom(new byte[32]));
        return new PartialBundles.Partial(new KeptPrefix((long) (pieces + 1) * pieceBytes, new byte[32], pieceBytes, digests, pieces,
                List.of()), bytes);
    }

    @Test
    void pastItsCountTheOldestIsDroppedWithItsFile() throws Exception {
        try (PartialBundles kept = new PartialBundles(2, Long.MAX_VALUE)) {
            PartialBundles.Partial first = partial(1, 100);
            Path file = first.bytes().file().orElseThrow();
            kept.put("a", first);
            kept.put("b", partial(1, 100));
            kept.put("c", partial(1, 100));

            assertThat(kept.size()).isEqualTo(2);
            assertThat(kept.take("a")).isNull();
            assertThat(Files.exists(file)).isFalse();
            assertThat(kept.take("c")).isNotNull();
        }
    }

    @Test
    void pastItsBytesTheOldestGoFirst() throws Exception {
        try (PartialBundles kept = new PartialBundles(8, 250)) {
            kept.put("a", partial(1, 100));
            kept.put("b", partial(1, 100));
            kept.put("c", partial(1, 100));

            assertThat(kept.bytes()).isLessThanOrEqualTo(250);
            assertThat(kept.take("a")).isNull();
            assertThat(kept.take("b")).isNotNull();
        }
    }

    @Test
    void aCommitKeptAgainReplacesItsOldPrefix() throws Exception {
        try (PartialBundles kept = new PartialBundles()) {
            PartialBundles.Partial old = partial(1, 100);
            Path file = old.bytes().file().orElseThrow();
            kept.put("a", old);
            kept.put("a", partial(2, 100));

            assertThat(kept.size()).isEqualTo(1);
            assertThat(Files.exists(file)).isFalse();
            assertThat(kept.take("a").prefix().length()).isEqualTo(200);
        }
    }
}
