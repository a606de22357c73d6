package dev.rhizome.node.git;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * The SHA-256 of a bundle and of each of its pieces, computed in one pass over its bytes as they
 * are written: what lets a fetcher take pieces from several holders and check each on arrival.
 */
final class PieceDigests {
    private final int pieceBytes;
    private final MessageDigest whole = BundleCache.sha256();
    private final List<byte[]> pieces = new ArrayList<>();
    private MessageDigest piece = BundleCache.sha256();
    private int inPiece;

    PieceDigests(int pieceBytes) {
        if (pieceBytes <= 0) {
            throw new IllegalArgumentException("piece size must be positive: " + pieceBytes);
        }
        this.pieceBytes = pieceBytes;
    }

    void update(byte[] data, int offset, int length) {
        whole.update(data, offset, length);
        while (length > 0) {
            int n = Math.min(length, pieceBytes - inPiece);
            piece.update(data, offset, n);
            inPiece += n;
            offset += n;
            length -= n;
            if (inPiece == pieceBytes) {
                pieces.add(piece.digest());
                piece = BundleCache.sha256();
                inPiece = 0;
            }
        }
    }

    /** Ends the pass: the whole digest and the piece digests (the last piece may be short). */
    Result finish() {
        if (inPiece > 0) {
            pieces.add(piece.digest());
        }
        return new Result(whole.digest(), pieceBytes, List.copyOf(pieces));
    }

    record Result(byte[] sha256, int pieceBytes, List<byte[]> pieceSha256) {
    }

    /** An output stream that digests what passes through it. */
    OutputStream wrap(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                update(b, off, len);
                out.write(b, off, len);
            }
        };
    }

    static Result of(Path file, int pieceBytes) throws IOException {
        PieceDigests digests = new PieceDigests(pieceBytes);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digests.update(buffer, 0, n);
            }
        }
        return digests.finish();
    }
}
