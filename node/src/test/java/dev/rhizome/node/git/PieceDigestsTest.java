package dev.rhizome.node.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One pass yields the whole digest and every piece's, whatever the sizes and however the bytes are
 * split on arrival (the first piece's digest is a copy of the whole one's state, not a second pass).
 */
class PieceDigestsTest {
    @TempDir
    Path tmp;

    static byte[] sha256(byte[] data, int from, int to) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update(data, from, to - from);
        return d.digest();
    }

    @Test
    void digestsMatchSeparatePassesForOneManyAndExactPiecesWhateverTheChunks() throws Exception {
        Random random = new Random(11);
        int piece = 1000;
        for (int size : new int[] {0, 1, 999, 1000, 1001, 2000, 4567}) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            List<byte[]> expected = new ArrayList<>();
            for (int from = 0; from < size; from += piece) {
                expected.add(sha256(data, from, Math.min(size, from + piece)));
            }
            PieceDigests arrays = new PieceDigests(piece);
            PieceDigests buffers = new PieceDigests(piece);
            for (int at = 0; at < size; ) {
                int n = Math.min(size - at, 1 + random.nextInt(1500));
                arrays.update(data, at, n);
                buffers.update(ByteBuffer.wrap(data, at, n));
                at += n;
            }
            for (PieceDigests.Result r : List.of(arrays.finish(), buffers.finish(), PieceDigests.of(write(data), piece))) {
                assertThat(r.sha256()).as("whole, size %d", size).isEqualTo(sha256(data, 0, size));
                assertThat(r.pieceSha256()).as("pieces, size %d", size).hasSize(expected.size());
                for (int i = 0; i < expected.size(); i++) {
                    assertThat(r.pieceSha256().get(i)).as("piece %d of size %d", i, size).isEqualTo(expected.get(i));
                }
            }
        }
    }

    private Path write(byte[] data) throws Exception {
        return Files.write(Files.createTempFile(tmp, "b", ".bin"), data);
    }
}
