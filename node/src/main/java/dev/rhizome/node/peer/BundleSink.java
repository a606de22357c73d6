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
    /** The import's object bound, judged on the pack's header as the first bytes pass. */
    private final ObjectBound objects;

    /** @param maxObjects the import's object bound: a pack declaring more stops the transfer at its header */
    BundleSink(ReceivedBytes into, long maxObjects) {
        this.into = into;
        this.objects = new ObjectBound(maxObjects);
    }

    /**
     * A sink that carries on after the bytes {@code into} holds already (a kept prefix), digesting
     * them first and reading the pack's header among them for the object bound.
     */
    static BundleSink after(ReceivedBytes into, long maxObjects) throws IOException {
        BundleSink sink = new BundleSink(into, maxObjects);
        into.replay(buffer -> {
            sink.digests.update(buffer.duplicate());
            try {
                sink.objects.update(buffer);
            } catch (PeerFailure over) {
                // Never kept so (its transfer stopped at the header); were one, the count is known and
                // the first bytes written after the prefix are refused with these words, by this holder's answer.
            }
        });
        return sink;
    }

    /** The digests of the whole pieces written so far (of {@link BundleFile#PIECE_BYTES} each). */
    synchronized java.util.List<byte[]> wholePieces() {
        return digests.wholePieces();
    }

    @Override
    public synchronized void write(ByteString data) throws IOException, PeerFailure {
        for (var buffer : data.asReadOnlyByteBufferList()) {
            digests.update(buffer.duplicate());
            objects.update(buffer);
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
