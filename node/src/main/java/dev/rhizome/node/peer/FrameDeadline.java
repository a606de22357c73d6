package dev.rhizome.node.peer;

import dev.rhizome.protocol.WarnBudget;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A frame, once its first byte arrived, must be complete within {@link #deadlineMs} of its length:
 * {@link #GRACE_MS} plus its bytes at the fetch side's floor (6.4 KB/s, {@link SlowReaderRule}),
 * or the connection is closed. Without it a peer that declared a 1 MiB frame and stopped (or sent
 * a byte now and then) held that much of the decoder's buffer, and on a gossip link a link slot,
 * for as long as it liked: a gossip link has no idle rule of its own on the wire, and the frame
 * decoder waits forever for the rest. An honest peer sends its frames at the speed of its link; at
 * the floor a whole 1 MiB frame (the frame limit) gets 10 s + 164 s. Sits before the frame decoder,
 * reading the 4-byte length prefixes as they pass without consuming anything; a timer is armed
 * only while a frame is incomplete at the end of a read, so whole frames cost nothing.
 */
public final class FrameDeadline extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(FrameDeadline.class);
    private static final WarnBudget SLOW = new WarnBudget(log);
    public static final String NAME = "frame-deadline";
    /** What any frame gets beyond its bytes at the floor: the fetch side's stall window. */
    public static final long GRACE_MS = SlowReaderRule.MIN_WINDOW_MS;

    private boolean inFrame;
    private int headerRead;
    private long header;
    /** Payload bytes of the current frame still to come; meaningful once its header is whole. */
    private long remaining;
    private long startedNanos;
    /** Bumped at every frame's start, so a timer armed for an earlier frame does nothing. */
    private long frame;
    private ScheduledFuture<?> timer;
    private long timerFrame = -1;
    private long timerLength = -1;

    /** How long a frame of {@code frameBytes} may take from its first byte to its last. */
    public static long deadlineMs(long frameBytes) {
        return GRACE_MS + Math.max(0, frameBytes) * 1000 / SlowReaderRule.FLOOR_BYTES_PER_SECOND;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            scan(buf);
            if (inFrame) {
                arm(ctx);
            } else {
                disarm();
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void scan(ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        while (i < end) {
            if (!inFrame) {
                inFrame = true;
                headerRead = 0;
                header = 0;
                startedNanos = System.nanoTime();
                frame++;
            }
            if (headerRead < 4) {
                header = (header << 8) | (buf.getByte(i++) & 0xff);
                if (++headerRead == 4) {
                    remaining = header;
                    inFrame = remaining > 0;
                }
                continue;
            }
            int take = (int) Math.min(remaining, end - i);
            i += take;
            remaining -= take;
            inFrame = remaining > 0;
        }
    }

    /** The length of the frame under way, or -1 while its header is not whole. */
    private long length() {
        return headerRead == 4 ? header : -1;
    }

    private void arm(ChannelHandlerContext ctx) {
        long length = length();
        if (timer != null && timerFrame == frame && timerLength == length) {
            return;
        }
        disarm();
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
        long deadline = deadlineMs(Math.max(0, length));
        long armedFrame = frame;
        timerFrame = frame;
        timerLength = length;
        timer = ctx.executor().schedule(() -> {
            if (inFrame && frame == armedFrame && ctx.channel().isActive()) {
                SLOW.warn("closing connection from {}: a frame of {} bytes not whole within {} ms ({} still to come)",
                        PeerMessages.remote(ctx.channel()), length < 0 ? "?" : length, deadline,
                        length < 0 ? "its length" : remaining + " bytes");
                ctx.close();
            }
        }, Math.max(0, deadline - elapsedMs), TimeUnit.MILLISECONDS);
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
            timerFrame = -1;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        disarm();
        super.channelInactive(ctx);
    }
}
