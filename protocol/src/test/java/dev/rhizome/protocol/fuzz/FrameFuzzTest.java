package dev.rhizome.protocol.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.frame.FrameCodec;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;

/**
 * The peer wire: arbitrary bytes, split into arbitrary reads, through the real frame decoder and
 * protobuf decoder. A bad stream fails the channel with a DecoderException, nothing else, and no
 * frame over the limit is ever buffered whole.
 */
class FrameFuzzTest {
    private static final int MAX_FRAME = 4096;

    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    void decodingAnyStreamFailsCleanly(FuzzedDataProvider data) {
        EmbeddedChannel channel = new EmbeddedChannel();
        FrameCodec.install(channel.pipeline(), PeerMessage.getDefaultInstance(), MAX_FRAME);
        try {
            while (data.remainingBytes() > 0) {
                byte[] read = data.consumeBytes(data.consumeInt(1, 2 * MAX_FRAME));
                channel.writeInbound(Unpooled.wrappedBuffer(read));
                Object message;
                while ((message = channel.readInbound()) != null) {
                    if (!(message instanceof PeerMessage)) {
                        throw new AssertionError("decoded a " + message.getClass());
                    }
                    ReferenceCountUtil.release(message);
                }
            }
        } catch (DecoderException expected) {
            // a malformed or oversized frame: the channel is failed, as the peer code expects
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
