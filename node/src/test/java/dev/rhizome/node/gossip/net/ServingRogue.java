package dev.rhizome.node.gossip.net;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleEnd;
import dev.rhizome.proto.v1.BundleHeader;
import dev.rhizome.proto.v1.BundleRequest;
import dev.rhizome.proto.v1.PeerMessage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;

/**
 * A node that announces one commit as soon as it links and serves the bytes it was given for it
 * exactly as the protocol asks (the range asked for, chunks of 64 KiB, true digests, an end): a
 * rogue whose lie is in the bundle alone (padding, a zip bomb). Written from the schemas on plain sockets.
 */
final class ServingRogue extends SocketRogue {
    private static final int CHUNK = 64 << 10;
    private static final int PIECE = 1 << 20;
    private final String tip;
    private final byte[] bundle;
    /** Sent after the header and after each chunk when not null: a message of a kind a newer version added. */
    private final PeerMessage between;

    ServingRogue(String tip, byte[] bundle) throws IOException {
        this(tip, bundle, null);
    }

    ServingRogue(String tip, byte[] bundle, PeerMessage between) throws IOException {
        super("server");
        this.tip = tip;
        this.bundle = bundle.clone();
        this.between = between;
    }

    @Override
    void onGossipLink(DataInputStream in, DataOutputStream out) throws IOException {
        claimThenListen(in, out, List.of(tip));
    }

    @Override
    void onBundleRequest(PeerMessage message, DataInputStream in, DataOutputStream out) throws IOException {
        BundleRequest request = message.getBundleRequest();
        BundleHeader.Builder header = BundleHeader.newBuilder().setCommit(tip).setSize(bundle.length)
                .setSha256(ByteString.copyFrom(sha256(bundle, 0, bundle.length))).setPieceBytes(PIECE);
        for (int at = 0; at < bundle.length; at += PIECE) {
            header.addPieceSha256(ByteString.copyFrom(sha256(bundle, at, Math.min(bundle.length, at + PIECE))));
        }
        write(out, PeerMessage.newBuilder().setBundleHeader(header).build());
        if (between != null) {
            write(out, between);
        }
        long from = Math.min(request.getOffset(), bundle.length);
        long to = request.getLength() == 0 ? bundle.length : Math.min(bundle.length, from + request.getLength());
        for (long at = from; at < to; at += CHUNK) {
            int end = (int) Math.min(to, at + CHUNK);
            write(out, PeerMessage.newBuilder().setBundleChunk(BundleChunk.newBuilder().setOffset(at)
                    .setData(ByteString.copyFrom(Arrays.copyOfRange(bundle, (int) at, end)))).build());
            if (between != null) {
                write(out, between);
            }
        }
        write(out, PeerMessage.newBuilder().setBundleEnd(BundleEnd.newBuilder().setCommit(tip)).build());
        while (read(in) != null) {
            // waits for the asker to hang up
        }
    }

    private static byte[] sha256(byte[] bytes, int from, int to) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(bytes, from, to - from);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
