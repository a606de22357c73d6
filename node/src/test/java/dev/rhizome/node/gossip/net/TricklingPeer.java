package dev.rhizome.node.gossip.net;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.PeerMessage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * A node that announces, as soon as it links, commits it does not hold, and asked for one sends a
 * header for a 64 MiB bundle and then its bytes just above the stall floor (8 KiB a second against
 * the floor's 6.4 KB/s), so the transfer never stalls and would hold its fetch slot for over two
 * hours. Written from the schemas on plain sockets, one thread per connection.
 */
final class TricklingPeer extends SocketRogue {
    static final long SIZE = 64L * 1024 * 1024;
    static final int BYTES_PER_SECOND = 8 * 1024;
    private final List<String> fakes;
    private final int bytesPerSecond;

    TricklingPeer(List<String> fakes) throws IOException {
        this(fakes, BYTES_PER_SECOND);
    }

    /** With {@code bytesPerSecond} 0 it sends empty chunks, four a second: frames, and no bytes. */
    TricklingPeer(List<String> fakes, int bytesPerSecond) throws IOException {
        super("trickler");
        this.fakes = List.copyOf(fakes);
        this.bytesPerSecond = bytesPerSecond;
    }

    @Override
    void onGossipLink(DataInputStream in, DataOutputStream out) throws IOException {
        claimThenListen(in, out, fakes);
    }

    @Override
    void onBundleRequest(PeerMessage request, DataInputStream in, DataOutputStream out) throws IOException {
        String commit = request.getBundleRequest().getCommit();
        write(out, PeerMessage.newBuilder().setBundleHeader(BundleHeader.newBuilder().setCommit(commit).setSize(SIZE)
                .setSha256(ByteString.copyFrom(new byte[32]))).build());
        byte[] data = new byte[bytesPerSecond / 4];
        for (long offset = 0; offset < SIZE; offset += data.length) {
            write(out, PeerMessage.newBuilder().setBundleChunk(BundleChunk.newBuilder().setOffset(offset)
                    .setData(ByteString.copyFrom(data))).build());
            try {
                Thread.sleep(250);  // the behaviour: a quarter of bytesPerSecond every quarter second
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
