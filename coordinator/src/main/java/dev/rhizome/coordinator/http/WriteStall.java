package dev.rhizome.coordinator.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.nio.AbstractNioChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import dev.rhizome.protocol.WarnBudget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose client stopped reading its replies. Replies waiting in the server's
 * outbound buffer count against the shared {@link ReplyBudget}; a client that never reads used to
 * hold its share until the idle timeout (120 s), and a few such clients made every honest
 * {@code GET} a 503 for that long. Once the connection holds unsent bytes, it must make progress
 * (the socket took some of the bytes waiting, room its client's reads made) at least once per
 * stall timeout, else it is closed and its replies' bytes go back to the budget. A slow honest
 * reader makes progress at every check; only one that reads nothing at all for the whole timeout
 * is cut.
 */
final class WriteStall extends ChannelDuplexHandler {
    private static final Logger LOG = LoggerFactory.getLogger(WriteStall.class);
    /** Clients that never read can be opened in a loop: their lines are bounded. */
    private static final WarnBudget STALLED = new WarnBudget(LOG);

    private final long stallNanos;
    private final long checkNanos;
    private ScheduledFuture<?> check;
    /** Bytes waiting at the last check, and when they last shrank (or began to wait). */
    private long lastPending;
    private long lastPartly;
    private long progressAt;

    WriteStall(Duration stall) {
        this.stallNanos = stall.toNanos();
        // Checked several times per timeout so a stalled connection goes within about 1.25 timeouts.
        this.checkNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(50), stallNanos / 4);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) throws Exception {
        super.flush(ctx);
        if (check == null && pending(ctx) > 0) {
            lastPending = pending(ctx);
            lastPartly = partlyWritten(ctx);
            progressAt = System.nanoTime();
            check = ctx.executor().schedule(() -> check(ctx), checkNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void check(ChannelHandlerContext ctx) {
        check = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        // Netty writes a full NIO socket again only when the kernel says it is writable, once a
        // third of its send buffer (megabytes on loopback) is free: a slow reader's progress would
        // be seen in seconds-long steps. Offering the bytes now takes whatever room its reads made.
        if (ctx.channel().unsafe() instanceof AbstractNioChannel.NioUnsafe nio) {
            nio.forceFlush();
        }
        long pending = pending(ctx);
        if (pending == 0) {
            return;  // all taken; the next flush that leaves bytes waiting starts a new watch
        }
        long now = System.nanoTime();
        // Netty counts a message's bytes as pending until the whole message is written; what the
        // socket took of the message at the head shows in its progress.
        long partly = partlyWritten(ctx);
        if (pending < lastPending || partly != lastPartly) {
            progressAt = now;
        }
        lastPending = pending;
        lastPartly = partly;
        if (now - progressAt >= stallNanos) {
            STALLED.warn("closing connection from {}: its client read none of {} reply bytes for {} ms",
                    ctx.channel().remoteAddress(), pending, TimeUnit.NANOSECONDS.toMillis(now - progressAt));
            ConnectionCloses.because(ctx.channel(), ConnectionCloses.WRITE_STALL);
            ctx.close();
            return;
        }
        check = ctx.executor().schedule(() -> check(ctx), checkNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
        super.channelInactive(ctx);
    }

    private static long partlyWritten(ChannelHandlerContext ctx) {
        ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.currentProgress();
    }

    private static long pending(ChannelHandlerContext ctx) {
        ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }
}
