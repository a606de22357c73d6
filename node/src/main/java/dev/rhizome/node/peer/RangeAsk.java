package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.BundleFile;

/**
 * One range a {@link RangeFetch} asks of a holder: where it starts, how long it is, which bundle it
 * names, and whether the holder's header must also agree with a kept prefix. Pure. The probe (the
 * first ask, before any header is known) is planned from the kept prefix alone ({@link #probe}); a
 * piece once the probe's header named the bundle ({@link #piece}).
 *
 * @param bundleSha256 the bundle named in the request (null: any, the probe of a fresh fetch)
 * @param resuming     the kept prefix the holder's header must agree with (null: none)
 */
record RangeAsk(long offset, long length, byte[] bundleSha256, KeptPrefix resuming) {

    /**
     * The probe: the first piece of the bundle, or with a kept prefix the first piece past it, naming
     * the kept bundle, whose header must name the kept pieces' digests too.
     */
    static RangeAsk probe(KeptPrefix kept) {
        return kept == null ? new RangeAsk(0, BundleFile.PIECE_BYTES, null, null)
                : new RangeAsk(kept.length(), kept.pieceBytes(), kept.sha256(), kept);
    }

    /** Piece {@code piece} of the bundle of {@code size} bytes and SHA-256 {@code sha256}, cut in pieces of {@code pieceBytes}. */
    static RangeAsk piece(int piece, int pieceBytes, long size, byte[] sha256) {
        long offset = (long) piece * pieceBytes;
        return new RangeAsk(offset, Math.min(pieceBytes, size - offset), sha256, null);
    }

    /** The fetch session this ask runs under, at the holder whose id is {@code node}. */
    FetchSession session(String commit, long maxBundleBytes, ByteString node) {
        return resuming == null ? FetchSession.range(commit, maxBundleBytes, node, offset, length, bundleSha256)
                : FetchSession.rangeResuming(commit, maxBundleBytes, node, offset, length, resuming);
    }
}
