package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.HelloProof;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.envelope.HandshakeProof;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import io.netty.channel.Channel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Building and describing peer wire messages. */
public final class PeerMessages {
    public static final int PROTOCOL_VERSION = 1;

    private PeerMessages() {
    }

    /**
     * The hello of a fetch connection, either side: the sender's id and a nonce it made for this
     * connection, which the other side signs ({@link #helloProof}) to prove the key its own hello names.
     */
    public static PeerMessage hello(Identity identity, byte[] nonce) {
        if (nonce.length != HandshakeProof.NONCE_BYTES) {
            throw new IllegalArgumentException("nonce of " + nonce.length + " bytes");
        }
        return PeerMessage.newBuilder().setHello(bareHello(identity).setNonce(ByteString.copyFrom(nonce))).build();
    }

    /** The hello that opens a gossip link: it carries the sender's signed NodeInfo (the handshake adds the nonce). */
    public static PeerMessage gossipHello(Identity identity, SignedEnvelope nodeInfo) {
        return PeerMessage.newBuilder().setHello(bareHello(identity).setNodeInfo(nodeInfo)).build();
    }

    /**
     * {@code self}'s signature over the nonce {@code peer} made for this connection: proves that the
     * key our hello names is ours, and can't be replayed on another connection or to another peer.
     */
    public static PeerMessage helloProof(Identity self, ByteString peerNonce, PublicId peer) {
        return PeerMessage.newBuilder().setHelloProof(HelloProof.newBuilder()
                .setProof(ByteString.copyFrom(HandshakeProof.sign(self, peerNonce.toByteArray(), peer)))).build();
    }

    private static Hello.Builder bareHello(Identity identity) {
        return Hello.newBuilder().setProtocolVersion(PROTOCOL_VERSION).setNode(identity.publicId().toByteString());
    }

    static PeerMessage error(Error.Code code, String message) {
        return PeerMessage.newBuilder().setError(Error.newBuilder().setCode(code).setMessage(message)).build();
    }

    /** Checks a hello's version and node id; returns why it is unacceptable, or null. */
    public static String helloProblem(Hello hello) {
        if (hello.getProtocolVersion() != PROTOCOL_VERSION) {
            return "speaks protocol version " + Integer.toUnsignedString(hello.getProtocolVersion()) + ", we speak " + PROTOCOL_VERSION;
        }
        if (hello.getNode().size() != PublicId.LENGTH) {
            return "hello carries a node id of " + hello.getNode().size() + " bytes";
        }
        return null;
    }

    /** The channel's remote address, for logs. */
    public static String remote(Channel channel) {
        return String.valueOf(channel.remoteAddress());
    }

    /**
     * The channel's remote address as per-address bounds count it (an IPv6 address by its /64, see
     * {@link UploadSlots#addressKey}); a channel that is not a socket's counts as loopback.
     */
    public static String addressKey(Channel channel) {
        return UploadSlots.addressKey(channel.remoteAddress() instanceof InetSocketAddress inet
                && inet.getAddress() != null ? inet.getAddress() : InetAddress.getLoopbackAddress());
    }

    /** Whether a pipeline failure is a frame over the size limit. */
    public static boolean isOversized(Throwable cause) {
        return cause instanceof TooLongFrameException || cause.getCause() instanceof TooLongFrameException;
    }

    /** A wire failure in words: frame too long, malformed frame, or the exception's own message. */
    public static String describe(Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (cause instanceof TooLongFrameException || root instanceof TooLongFrameException) {
            return "frame over the size limit (" + LogSafe.of(root.getMessage()) + ")";
        }
        if (cause instanceof CorruptedFrameException || cause instanceof DecoderException) {
            return "malformed frame (" + LogSafe.of(root.getMessage()) + ")";
        }
        // A message may quote the peer (a host name it gave, bytes it sent): escaped and cut as its own text is
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + LogSafe.of(root.getMessage()));
    }
}
