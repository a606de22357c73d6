package dev.rhizome.protocol.frame;

import com.google.protobuf.MessageLite;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.codec.protobuf.ProtobufDecoder;
import io.netty.handler.codec.protobuf.ProtobufEncoder;

/**
 * The peer wire's framing: a 4-byte big-endian length, then one protobuf message. The decoder
 * refuses any frame longer than the limit before buffering it (Netty's varint frame decoder has
 * no such limit), and fails the channel with {@link io.netty.handler.codec.TooLongFrameException}.
 */
public final class FrameCodec {
    /** Large enough for a 256 KiB bundle chunk plus framing; nothing else on the wire comes close. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;
    public static final String DECODER = "frame-decoder";
    /** Drops frames read after the channel closed, before they are parsed ({@link FramesWhileOpen}). */
    public static final String GATE = "frame-gate";
    public static final String PREPENDER = "frame-prepender";
    public static final String PROTOBUF_DECODER = "protobuf-decoder";
    public static final String PROTOBUF_ENCODER = "protobuf-encoder";

    private FrameCodec() {
    }

    /** Adds framing and protobuf coding for {@code prototype} messages to the pipeline. */
    public static void install(ChannelPipeline pipeline, MessageLite prototype, int maxFrameBytes) {
        if (maxFrameBytes <= 0) {
            throw new IllegalArgumentException("max frame size must be positive: " + maxFrameBytes);
        }
        pipeline.addLast(DECODER, new LengthFieldBasedFrameDecoder(maxFrameBytes, 0, 4, 0, 4, true));
        pipeline.addLast(GATE, FramesWhileOpen.INSTANCE);
        pipeline.addLast(PROTOBUF_DECODER, new ProtobufDecoder(prototype));
        pipeline.addLast(PREPENDER, new LengthFieldPrepender(4));
        pipeline.addLast(PROTOBUF_ENCODER, new ProtobufEncoder());
    }
}
