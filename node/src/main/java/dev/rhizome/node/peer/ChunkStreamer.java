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
import java.util.function.IntConsumer;

/**
 * Sends one bundle file, or a range of it, as chunks, only while the channel is writable and the
 * server's upload pacer allows: memory per connection stays near the write buffer's high-water
 * mark whatever the bundle's size, and a reader that stops reading stops the sending. Given
 * {@link BundleReaders}, its chunks are read off the event loop, one ahead of the writing: a disk
 * that blocks holds up this transfer alone ({@link State#WAIT_DISK}, {@link #readingForMs}).
 */
final class ChunkStreamer implements AutoCloseable {
    /** Why {@link #pump} returned. */
    enum State {
        /** The range and its end are written. */
        DONE,
        /** The channel is full: pump again when it turns writable. */
        WAIT_WRITABLE,
        /** The pacer says wait: pump again after {@link #waitNanos()}. */
        WAIT_PACER,
        /** The next chunk is being read off the event loop: {@link #onRead}'s callback pumps again. */
        WAIT_DISK,
        /** The readers and their queue are full: the upload cannot go on now (answer BUSY). */
        READERS_FULL
    }

    private final FileChannel file;
    private final String commit;
    private final long end;
    private final int chunkBytes;
    private final AtomicLong bytesServed;
    private final UploadPacer pacer;
    private long position;
    private long waitNanos;
    /** Sent before the first chunk, under the same pace (the range's header); null once sent or when none. */
    private PeerMessage first;
    /** Told each time the socket has taken a whole chunk. */
    private IntConsumer onChunkTaken = bytes -> { };
    /** Null: chunks are read on the calling thread (tests of pacing alone). */
    private BundleReaders readers;
    /** Called on the event loop once a chunk's read ends. */
    private Runnable onRead = () -> { };
    /** The next chunk, read ahead; its read's failure; whether a read is out; when it began (ns). */
    private ByteBuffer ready;
    private IOException readFailure;
    private boolean reading;
    private long readingSinceNanos;
    private boolean closed;

    private ChunkStreamer(FileChannel file, String commit, long offset, long end, int chunkBytes, AtomicLong bytesServed,
                          UploadPacer pacer) {
        this.file = file;
        this.commit = commit;
        this.position = offset;
        this.end = end;
        this.chunkBytes = chunkBytes;
        this.bytesServed = bytesServed;
        this.pacer = pacer;
    }

    static ChunkStreamer open(Path bundle, String commit, long size, long offset, int chunkBytes, AtomicLong bytesServed)
            throws IOException {
        return open(bundle, commit, offset, size, chunkBytes, bytesServed, UploadPacer.unlimited());
    }

    /** Streams bytes [offset, end) of the bundle file. */
    static ChunkStreamer open(Path bundle, String commit, long offset, long end, int chunkBytes, AtomicLong bytesServed,
                              UploadPacer pacer) throws IOException {
        return new ChunkStreamer(FileChannel.open(bundle, StandardOpenOption.READ), commit, offset, end, chunkBytes,
                bytesServed, pacer);
    }

    /**
     * Sends {@code message} (the range's header) ahead of the chunks, paced as they are. Each range
     * costs its header and its end besides its bytes, and a header names every piece's digest:
     * pacing the chunks alone let a peer asking one-byte ranges, one after another, take headers
     * and ends past the volunteer's upload cap.
     */
    void sendFirst(PeerMessage message) {
        this.first = message;
    }

    /** Writes chunks until the channel is full, the pacer says wait, or the range is sent (its end written). */
    State pump(ChannelHandlerContext ctx) throws IOException {
        if (first != null) {
            long wait = pacer.waitNanos(System.nanoTime());
            if (wait > 0) {
                waitNanos = wait;
                return State.WAIT_PACER;
            }
            pacer.spend(first.getSerializedSize(), System.nanoTime());
            ctx.write(first);
            first = null;
        }
        while (position < end && ctx.channel().isWritable()) {
            long wait = pacer.waitNanos(System.nanoTime());
            if (wait > 0) {
                ctx.flush();
                waitNanos = wait;
                return State.WAIT_PACER;
            }
            int length = (int) Math.min(chunkBytes, end - position);
            ByteBuffer data;
            if (readers == null) {
                data = ByteBuffer.allocate(length);
                while (data.hasRemaining()) {
                    if (file.read(data, position + data.position()) < 0) {
                        throw new EOFException("bundle file of " + commit + " ended before byte " + end);
                    }
                }
                data.flip();
            } else {
                if (readFailure != null) {
                    throw readFailure;
                }
                if (ready == null) {
                    ctx.flush();
                    return reading ? State.WAIT_DISK : readAhead(ctx, position);
                }
                data = ready;
                ready = null;
                if (position + length < end) {
                    // The next chunk is read while this one goes; readers full, the next turn says so.
                    readAhead(ctx, position + length);
                }
            }
            PeerMessage chunk = PeerMessage.newBuilder()
                    .setBundleChunk(BundleChunk.newBuilder().setOffset(position).setData(UnsafeByteOperations.unsafeWrap(data)))
                    .build();
            position += length;
            pacer.spend(length, System.nanoTime());
            ctx.write(chunk).addListener(written -> {
                if (written.isSuccess()) {
                    bytesServed.addAndGet(length);
                    onChunkTaken.accept(length);
                }
            });
        }
        if (position < end) {
            ctx.flush();
            return State.WAIT_WRITABLE;
        }
        PeerMessage last = PeerMessage.newBuilder().setBundleEnd(BundleEnd.newBuilder().setCommit(commit)).build();
        pacer.spend(last.getSerializedSize(), System.nanoTime());
        ctx.writeAndFlush(last);
        close();
        return State.DONE;
    }

    /** Starts reading the chunk at {@code at} off the event loop: {@link State#WAIT_DISK}, or {@link State#READERS_FULL}. */
    private State readAhead(ChannelHandlerContext ctx, long at) {
        int length = (int) Math.min(chunkBytes, end - at);
        var read = readers.read(file, at, length, commit);
        if (read == null) {
            return State.READERS_FULL;
        }
        reading = true;
        readingSinceNanos = System.nanoTime();
        read.whenComplete((data, failure) -> ctx.executor().execute(() -> {
            if (closed) {
                return;  // ended meanwhile (its BUSY or its close already sent): the bytes are dropped
            }
            reading = false;
            if (failure != null) {
                readFailure = failure instanceof IOException io ? io : new IOException("cannot read bundle of " + commit, failure);
            } else {
                ready = data;
            }
            onRead.run();
        }));
        return State.WAIT_DISK;
    }

    /** Reads chunks on {@code readers}, off the event loop; {@code onRead} (on the event loop) is told each read's end. */
    void readOn(BundleReaders readers, Runnable onRead) {
        this.readers = readers;
        this.onRead = onRead;
    }

    /** How long the chunk being read has been read, at {@code nowNanos}; 0 when none is. */
    long readingForMs(long nowNanos) {
        return reading ? (nowNanos - readingSinceNanos) / 1_000_000 : 0;
    }

    /** Runs {@code listener} on the channel's event loop with its size each time the socket takes a whole chunk. */
    void onChunkTaken(IntConsumer listener) {
        this.onChunkTaken = listener;
    }

    /** After {@link State#WAIT_PACER}: how long to wait. */
    long waitNanos() {
        return waitNanos;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        file.close();
    }
}
