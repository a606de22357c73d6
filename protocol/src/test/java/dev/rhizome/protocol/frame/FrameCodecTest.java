package dev.rhizome.protocol.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.PeerMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
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
}
