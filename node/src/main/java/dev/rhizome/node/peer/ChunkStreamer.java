package dev.rhizome.node.peer;

import com.google.protobuf.UnsafeByteOperations;
import dev.rhizome.proto.v1.BundleChunk;
import dev.rhizome.proto.v1.BundleEnd;
import dev.rhizome.proto.v1.PeerMessage;
import io.netty.channel.ChannelHandlerContext;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends one bundle file as chunks, only while the channel is writable: memory per connection stays
 * near the write buffer's high-water mark whatever the bundle's size, and a reader that stops
 * reading stops the sending.
 */
final class ChunkStreamer implements AutoCloseable {
    private final FileChannel file;
    private final String commit;
    private final long size;
    private final int chunkBytes;
    private final AtomicLong bytesServed;
    private long position;

    private ChunkStreamer(FileChannel file, String commit, long size, long offset, int chunkBytes, AtomicLong bytesServed) {
        this.file = file;
        this.commit = commit;
        this.size = size;
        this.position = offset;
        this.chunkBytes = chunkBytes;
        this.bytesServed = bytesServed;
    }

    static ChunkStreamer open(Path bundle, String commit, long size, long offset, int chunkBytes, AtomicLong bytesServed)
            throws IOException {
        return new ChunkStreamer(FileChannel.open(bundle, StandardOpenOption.READ), commit, size, offset, chunkBytes, bytesServed);
    }

    /** Writes chunks until the channel is full or the bundle is sent; true once its end has been written. */
    boolean pump(ChannelHandlerContext ctx) throws IOException {
        while (position < size && ctx.channel().isWritable()) {
            int length = (int) Math.min(chunkBytes, size - position);
            ByteBuffer data = ByteBuffer.allocate(length);
            while (data.hasRemaining()) {
                if (file.read(data, position + data.position()) < 0) {
                    throw new EOFException("bundle file of " + commit + " ended before " + size + " bytes");
                }
            }
            data.flip();
            PeerMessage chunk = PeerMessage.newBuilder()
                    .setBundleChunk(BundleChunk.newBuilder().setOffset(position).setData(UnsafeByteOperations.unsafeWrap(data)))
                    .build();
            position += length;
            ctx.write(chunk).addListener(written -> {
                if (written.isSuccess()) {
                    bytesServed.addAndGet(length);
                }
            });
        }
        if (position < size) {
            ctx.flush();
            return false;
        }
        ctx.writeAndFlush(PeerMessage.newBuilder().setBundleEnd(BundleEnd.newBuilder().setCommit(commit)).build());
        close();
        return true;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
