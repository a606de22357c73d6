package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The bytes of one range, held in memory until they verify: a range is at most a few pieces of at
 * most {@link FetchSession#MAX_PIECE_BYTES}, and a fetcher runs a few at once, so memory stays
 * bounded; nothing reaches the bundle file before its piece digest matches.
 */
final class PieceBuffer implements TransferSink {
    private final byte[] data;
    private int length;

    PieceBuffer(int capacity) {
        this.data = new byte[capacity];
    }

    @Override
    public synchronized void write(ByteString chunk) throws IOException {
        if (chunk.size() > data.length - length) {
            throw new IOException("range larger than the " + data.length + " bytes asked for");
        }
        chunk.copyTo(data, length);
        length += chunk.size();
    }

    @Override
    public synchronized byte[] finish() {
        return sha256(0, length);
    }

    synchronized int length() {
        return length;
    }

    /** SHA-256 of bytes [from, from + count) of the range. */
    synchronized byte[] sha256(int from, int count) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(data, from, count);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    synchronized byte[] bytes() {
        return data;
    }
}
