package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import java.io.IOException;
import dev.rhizome.node.git.BundleFile;
import dev.rhizome.node.git.PieceDigests;

/** Bundle bytes arriving from a peer in order, hashed on the way into {@link ReceivedBytes} (memory or a file). */
final class BundleSink implements TransferSink {
    private final ReceivedBytes into;
    /** The whole digest and the cache's piece digests in one pass, so keeping the bundle hashes nothing again. */
    private final PieceDigests digests = new PieceDigests(BundleFile.PIECE_BYTES);
    private PieceDigests.Result result;

    BundleSink(ReceivedBytes into) {
        this.into = into;
    }

    @Override
    public synchronized void write(ByteString data) throws IOException {
        for (var buffer : data.asReadOnlyByteBufferList()) {
            digests.update(buffer.duplicate());
            into.append(buffer);
        }
    }

    /** The SHA-256 of everything written. */
    @Override
    public synchronized byte[] finish() {
        result = digests.finish();
        return result.sha256();
    }

    /** The digests {@link #finish} computed (the bundle's and its pieces'), for the cache; null before. */
    synchronized PieceDigests.Result digests() {
        return result;
    }
}
