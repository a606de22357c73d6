package dev.rhizome.node.peer;

import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.Hello;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.proto.v1.SignedEnvelope;
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

    public static PeerMessage hello(Identity identity) {
        return PeerMessage.newBuilder()
                .setHello(Hello.newBuilder().setProtocolVersion(PROTOCOL_VERSION).setNode(identity.publicId().toByteString()))
                .build();
    }

    /** The hello that opens a gossip link: it carries the sender's signed NodeInfo. */
    public static PeerMessage gossipHello(Identity identity, SignedEnvelope nodeInfo) {
        return PeerMessage.newBuilder().setHello(hello(identity).getHello().toBuilder().setNodeInfo(nodeInfo)).build();
    }

    static PeerMessage error(Error.Code code, String message) {
        return PeerMessage.newBuilder().setError(Error.newBuilder().setCode(code).setMessage(message)).build();
    }

    /** Checks a hello's version and node id; returns why it is unacceptable, or null. */
    public static String helloProblem(Hello hello) {
        if (hello.getProtocolVersion() != PROTOCOL_VERSION) {
            return "speaks protocol version " + hello.getProtocolVersion() + ", we speak " + PROTOCOL_VERSION;
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
            return "frame over the size limit (" + root.getMessage() + ")";
        }
        if (cause instanceof CorruptedFrameException || cause instanceof DecoderException) {
            return "malformed frame (" + root.getMessage() + ")";
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }
}
