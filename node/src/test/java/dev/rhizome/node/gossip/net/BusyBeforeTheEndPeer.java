package dev.rhizome.node.gossip.net;

import com.google.protobuf.ByteString;
import dev.rhizome.node.git.BundleFile;
import dev.rhizome.node.git.PieceDigests;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.PeerMessage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;

/**
 * A node that announces large commits as soon as it links and answers every request for one with
 * a header (its digests true to the bytes it sends), every byte asked but the last thousand, and
 * then BUSY: a decline, which costs a peer nothing, after nearly a whole transfer. Written from
 * the schemas on plain sockets, one thread per connection.
 */
final class BusyBeforeTheEndPeer extends SocketRogue {
    private final List<String> fakes;
    private final byte[] bytes;
    private final BundleHeader header;

    BusyBeforeTheEndPeer(List<String> fakes, int size) throws IOException {
        super("busy-before-the-end");
        this.fakes = List.copyOf(fakes);
        bytes = new byte[size];
        new Random(23).nextBytes(bytes);
        PieceDigests digests = new PieceDigests(BundleFile.PIECE_BYTES);
        digests.update(bytes, 0, size);
        PieceDigests.Result result = digests.finish();
        BundleHeader.Builder h = BundleHeader.newBuilder().setSize(size).setSha256(ByteString.copyFrom(result.sha256()))
                .setPieceBytes(result.pieceBytes());
        result.pieceSha256().forEach(p -> h.addPieceSha256(ByteString.copyFrom(p)));
        header = h.build();
    }

    @Override
    void onGossipLink(DataInputStream in, DataOutputStream out) throws IOException {
        claimThenListen(in, out, fakes);
    }

    @Override
    void onBundleRequest(PeerMessage request, DataInputStream in, DataOutputStream out) throws IOException {
        var ask = request.getBundleRequest();
        if (!ask.getBundleSha256().isEmpty() && !ask.getBundleSha256().equals(header.getSha256())) {
            write(out, PeerMessage.newBuilder().setError(Error.newBuilder().setCode(Error.Code.CONFLICT)).build());
            return;
        }
        write(out, PeerMessage.newBuilder().setBundleHeader(header.toBuilder().setCommit(ask.getCommit())).build());
        int cut = bytes.length - 1_000;
        for (int offset = (int) ask.getOffset(); offset < cut; offset += 64 * 1024) {
            write(out, PeerMessage.newBuilder().setBundleChunk(BundleChunk.newBuilder().setOffset(offset)
                    .setData(ByteString.copyFrom(bytes, offset, Math.min(64 * 1024, cut - offset)))).build());
        }
        write(out, PeerMessage.newBuilder().setError(Error.newBuilder().setCode(Error.Code.UNAVAILABLE)
                .setMessage("upload ended early")).build());
        while (read(in) != null) {
            // until the asker hangs up
        }
    }
}
