package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import java.io.IOException;
import dev.rhizome.node.git.BundleFile;
import dev.rhizome.node.git.PackObjectCount;
import dev.rhizome.node.git.PieceDigests;

/** Bundle bytes arriving from a peer in order, hashed on the way into {@link ReceivedBytes} (memory or a file). */
final class BundleSink implements TransferSink {
    private final ReceivedBytes into;
    /** The whole digest and the cache's piece digests in one pass, so keeping the bundle hashes nothing again. */
    private final PieceDigests digests = new PieceDigests(BundleFile.PIECE_BYTES);
    private PieceDigests.Result result;
    /** The pack's declared object count, read as the first bytes pass. */
    private final PackObjectCount objects = new PackObjectCount();
    private final long maxObjects;

    /** @param maxObjects the import's object bound: a pack declaring more stops the transfer at its header */
    BundleSink(ReceivedBytes into, long maxObjects) {
        this.into = into;
        this.maxObjects = maxObjects;
    }

    /** A sink that carries on after the bytes {@code into} holds already (a kept prefix), digesting them first. */
    static BundleSink after(ReceivedBytes into, long maxObjects) throws IOException {
        BundleSink sink = new BundleSink(into, maxObjects);
        into.replay(buffer -> {
            sink.digests.update(buffer.duplicate());
            sink.objects.update(buffer);
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
            long count = objects.update(buffer);
            if (count > maxObjects) {
                throw tooManyObjects(count, maxObjects);
            }
            into.append(buffer);
        }
    }

    /** What a pack declaring {@code count} objects over {@code maxObjects} is: too large here (no fault: a larger heap takes it). */
    static PeerFailure tooManyObjects(long count, long maxObjects) {
        return new PeerFailure(PeerFailure.Kind.TOO_LARGE, "sent a bundle whose pack holds " + count
                + " objects, over this node's limit of " + maxObjects + " (stopped at its header)");
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
