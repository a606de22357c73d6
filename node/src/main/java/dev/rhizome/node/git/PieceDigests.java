package dev.rhizome.node.git;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * The SHA-256 of a bundle and of each of its pieces, computed in one pass over its bytes as they
 * are written: what lets a fetcher take pieces from several holders and check each on arrival.
 */
public final class PieceDigests {
    private final int pieceBytes;
    private final MessageDigest whole = BundleCache.sha256();
    private final List<byte[]> pieces = new ArrayList<>();
    private MessageDigest piece = BundleCache.sha256();
    private int inPiece;

    public PieceDigests(int pieceBytes) {
        if (pieceBytes <= 0) {
            throw new IllegalArgumentException("piece size must be positive: " + pieceBytes);
        }
        this.pieceBytes = pieceBytes;
    }

    public void update(byte[] data, int offset, int length) {
        while (length > 0) {
            int n = Math.min(length, pieceBytes - inPiece);
            whole.update(data, offset, n); // up to the piece's end only: the first piece's digest is taken from it
            if (!pieces.isEmpty()) {
                piece.update(data, offset, n);
            }
            inPiece += n;
            offset += n;
            length -= n;
            if (inPiece == pieceBytes) {
                endPiece();
            }
        }
    }

    /** As {@link #update(byte[], int, int)}, for the bytes remaining in {@code data} (consumed). */
    public void update(ByteBuffer data) {
        while (data.hasRemaining()) {
            int n = Math.min(data.remaining(), pieceBytes - inPiece);
            ByteBuffer part = data.slice(data.position(), n);
            whole.update(part.duplicate());
            if (!pieces.isEmpty()) {
                piece.update(part);
            }
            data.position(data.position() + n);
            inPiece += n;
            if (inPiece == pieceBytes) {
                endPiece();
            }
        }
    }

    /**
     * The first piece's bytes are the whole digest's first bytes, so it is not hashed twice: its
     * digest is a copy of the whole one's state at its end. A bundle of one piece (most of them)
     * is hashed once.
     */
    private void endPiece() {
        pieces.add(pieces.isEmpty() ? snapshot(whole) : piece.digest());
        piece = BundleCache.sha256();
        inPiece = 0;
    }

    private static byte[] snapshot(MessageDigest digest) {
        try {
            return ((MessageDigest) digest.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's SHA-256 can be cloned", e);
        }
    }

    /** The digests of the whole pieces passed so far (a last, partial one not among them). */
    public List<byte[]> wholePieces() {
        return List.copyOf(pieces);
    }

    /** Ends the pass: the whole digest and the piece digests (the last piece may be short). */
    public Result finish() {
        byte[] all = whole.digest();
        if (inPiece > 0) {
            pieces.add(pieces.isEmpty() ? all.clone() : piece.digest());
        }
        return new Result(all, pieceBytes, List.copyOf(pieces));
    }

    /** A bundle's SHA-256 and its pieces' (of {@code pieceBytes} each, the last maybe short). */
    public record Result(byte[] sha256, int pieceBytes, List<byte[]> pieceSha256) {
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
