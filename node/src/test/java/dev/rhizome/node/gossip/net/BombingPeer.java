package dev.rhizome.node.gossip.net;

import com.google.protobuf.ByteString;
import dev.rhizome.node.peer.PeerMessages;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.PeerMessage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * A node that announces one commit as soon as it links and, asked for it, sends a small bundle
 * that is well formed on the wire (its size, SHA-256 and piece digest true) but whose pack declares
 * far more than it holds: a zip bomb. Written from the schemas on plain sockets.
 */
final class BombingPeer extends SocketRogue {
    private final String tip;
    private final byte[] bundle;

    BombingPeer(String tip, byte[] bundle) throws IOException {
        super("bomber");
        this.tip = tip;
        this.bundle = bundle.clone();
    }

    @Override
    void onGossipLink(DataInputStream in, DataOutputStream out) throws IOException {
        claimThenListen(in, out, List.of(tip));
    }

    @Override
    void onBundleRequest(DataInputStream in, DataOutputStream out) throws IOException {
        ByteString sha256 = ByteString.copyFrom(sha256(bundle));
        write(out, PeerMessages.hello(identity));
        write(out, PeerMessage.newBuilder().setBundleHeader(BundleHeader.newBuilder().setCommit(tip)
                .setSize(bundle.length).setSha256(sha256).setPieceBytes(1 << 20).addPieceSha256(sha256)).build());
        write(out, PeerMessage.newBuilder().setBundleChunk(BundleChunk.newBuilder().setOffset(0)
                .setData(ByteString.copyFrom(bundle))).build());
        while (read(in) != null) {
            // waits for the asker to hang up
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
