package dev.rhizome.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.PeerMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private static EmbeddedChannel channel(int max) {
        EmbeddedChannel ch = new EmbeddedChannel();
        FrameCodec.install(ch.pipeline(), PeerMessage.getDefaultInstance(), max);
        return ch;
    }

    private static PeerMessage chunk(int size) {
        return PeerMessage.newBuilder().setBundleChunk(
                BundleChunk.newBuilder().setData(ByteString.copyFrom(new byte[size]))).build();
    }

    @Test
    void messagesRoundTripThroughFrames() {
        EmbeddedChannel sender = channel(1024);
        EmbeddedChannel receiver = channel(1024);
        sender.writeOutbound(chunk(100));
        // The prepender emits the length and the body as separate buffers.
        for (ByteBuf part = sender.readOutbound(); part != null; part = sender.readOutbound()) {
            receiver.writeInbound(part);
        }

        assertThat((PeerMessage) receiver.readInbound()).isEqualTo(chunk(100));
    }

    @Test
    void frameOverTheLimitIsRefusedBeforeItIsBuffered() {
        EmbeddedChannel receiver = channel(1024);
        ByteBuf header = Unpooled.buffer().writeInt(10_000_000);

        assertThatThrownBy(() -> receiver.writeInbound(header)).isInstanceOf(TooLongFrameException.class);
    }

    @Test
    void truncatedFrameYieldsNothing() {
        EmbeddedChannel receiver = channel(1024);
        receiver.writeInbound(Unpooled.buffer().writeInt(50).writeBytes(new byte[10]));
        assertThat((Object) receiver.readInbound()).isNull();
    }

    /** A handler that closed the channel (a refused handshake) is handed none of the frames the same read brought after. */
    @Test
    void framesReadAfterTheChannelClosedAreDroppedUnparsed() {
        EmbeddedChannel sender = channel(1024);
        EmbeddedChannel receiver = channel(1024);
        List<PeerMessage> handed = new ArrayList<>();
        receiver.pipeline().addLast(new SimpleChannelInboundHandler<PeerMessage>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, PeerMessage message) {
                handed.add(message);
                ctx.close();
            }
        });
        ByteBuf oneRead = Unpooled.buffer();
        for (int i = 1; i <= 5; i++) {
            sender.writeOutbound(chunk(i));
            for (ByteBuf part = sender.readOutbound(); part != null; part = sender.readOutbound()) {
                oneRead.writeBytes(part);
                part.release();
            }
        }
        oneRead.writeInt(3).writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});  // would not parse

        receiver.writeInbound(oneRead);

        assertThat(handed).containsExactly(chunk(1));
        assertThat(oneRead.refCnt()).as("the read's bytes, released").isZero();
    }
}
