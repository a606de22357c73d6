package dev.rhizome.node.git;

import java.nio.file.Path;
import java.util.List;

/**
 * A finished bundle on disk, ready to serve: its tip (the only ref it carries), size and SHA-256
 * (which go in the wire header before any byte is sent), the commits it assumes the receiver holds,
 * and the SHA-256 of each piece of {@code pieceBytes} (so ranges of it can be checked on arrival).
 */
public record BundleFile(String tip, Path path, long size, byte[] sha256, List<String> prerequisites, int pieceBytes,
                         List<byte[]> pieceSha256) {
    /** Pieces a bundle is cut into for ranged transfers: 1 MiB, so a 64 KiB bundle is one piece. */
    public static final int PIECE_BYTES = 1 << 20;

    public BundleFile {
        sha256 = sha256.clone();
        prerequisites = List.copyOf(prerequisites);
        pieceSha256 = pieceSha256.stream().map(byte[]::clone).toList();
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    @Override
    public List<byte[]> pieceSha256() {
        return pieceSha256.stream().map(byte[]::clone).toList();
    }
}
