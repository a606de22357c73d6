package dev.rhizome.node.peer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rhizome.proto.v1.PeerMessage;
import dev.rhizome.protocol.frame.FrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChunkStreamerTest {
    @TempDir
    Path tmp;

    @Test
    void stopsWhenTheChannelIsFullAndResumesWhereItStopped() throws Exception {
        byte[] content = new byte[100_000];
        new Random(1).nextBytes(content);
        Path file = Files.write(tmp.resolve("b.bundle"), content);
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8 * 1024, 16 * 1024));
        FrameCodec.install(channel.pipeline(), PeerMessage.getDefaultInstance(), 1 << 20);
        channel.pipeline().addLast("probe", new ChannelHandlerAdapter() { });
        ChannelHandlerContext ctx = channel.pipeline().context("probe");
        AtomicLong served = new AtomicLong();
        ChunkStreamer streamer = ChunkStreamer.open(file, "c".repeat(40), content.length, 0, 4096, served);

        int rounds = 0;
        boolean done = false;
        while (!done) {
            done = streamer.pump(ctx) == ChunkStreamer.State.DONE;
            // Writing stops once past the high-water mark: at most one chunk frame beyond it is buffered.
            assertThat(drain(channel)).as("bytes buffered in round %d", rounds).isLessThanOrEqualTo(16 * 1024 + 4096 + 64);
            rounds++;
        }

        assertThat(rounds).isGreaterThanOrEqualTo(content.length / (16 * 1024 + 4096));
        assertThat(served.get()).isEqualTo(content.length);
    }

    private static int drain(EmbeddedChannel channel) {
        int bytes = 0;
        for (ByteBuf buffer = channel.readOutbound(); buffer != null; buffer = channel.readOutbound()) {
            bytes += buffer.readableBytes();
            buffer.release();
        }
        return bytes;
    }
}
