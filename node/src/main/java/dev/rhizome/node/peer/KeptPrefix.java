package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import java.util.List;

/**
 * What is kept of a whole transfer that ended early (a holder busy just before the end, a drop, a
 * stall, a move to a faster holder): the leading whole pieces whose bytes match the piece digests
 * its holder's header announced, and what is needed to ask any holder for the rest of that same
 * bundle (its size, SHA-256, piece digests and the {@code have} list that made it, which a thin
 * bundle depends on). Kept at piece granularity, so a holder that ends every upload early wastes
 * at most the piece in flight. The digests are only that holder's word: the next holder must
 * announce the same ones for the kept pieces ({@link #agrees}), and the whole bundle is checked
 * against its SHA-256 before import. Pure.
 */
record KeptPrefix(long size, byte[] sha256, int pieceBytes, List<ByteString> pieceSha256, int pieces, List<String> have) {
    KeptPrefix {
        sha256 = sha256.clone();
        pieceSha256 = List.copyOf(pieceSha256);
        have = List.copyOf(have);
        if (pieces <= 0 || pieces > pieceSha256.size() || pieceBytes <= 0) {
            throw new IllegalArgumentException("a kept prefix holds 1 to " + pieceSha256.size() + " pieces, not " + pieces);
        }
    }

    /**
     * The prefix worth keeping of a transfer that ended early, or null when none is: the leading
     * pieces among {@code received} (the digests of the whole pieces that arrived, of
     * {@code pieceBytes} each) equal to the header's, short of the whole bundle (that would have
     * ended with its end).
     *
     * @param pieceSha256 the header's piece digests; empty when it announced none (nothing is kept)
     */
    static KeptPrefix of(long size, byte[] sha256, int pieceBytes, List<ByteString> pieceSha256, List<byte[]> received,
                         List<String> have) {
        if (sha256 == null || pieceSha256.isEmpty() || pieceBytes <= 0) {
            return null;
        }
        int matching = 0;
        while (matching < received.size() && matching < pieceSha256.size() - 1
                && pieceSha256.get(matching).equals(ByteString.copyFrom(received.get(matching)))) {
            matching++;
        }
        return matching == 0 ? null : new KeptPrefix(size, sha256, pieceBytes, pieceSha256, matching, have);
    }

    /** Bytes kept: the transfer resumes from here. */
    long length() {
        return Math.min(size, (long) pieces * pieceBytes);
    }

    /**
     * Whether another holder's header, with pieces of {@code pieceBytes} and digests {@code theirs},
     * names the same pieces for the bytes kept (its size and SHA-256 are checked as for any resume).
     */
    boolean agrees(int pieceBytes, List<ByteString> theirs) {
        return pieceBytes == this.pieceBytes && theirs.size() == pieceSha256.size()
                && theirs.subList(0, pieces).equals(pieceSha256.subList(0, pieces));
    }
}
