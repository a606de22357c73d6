package dev.rhizome.coordinator.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Slow clients: a request must be fully received within a deadline counted from its first byte,
 * so trickling headers or a body a byte at a time holds a connection for a bounded time only. Sits
 * before the HTTP decoder (it sees raw bytes arrive); {@link ApiHandler} tells it when a whole
 * request has come. Runs on the connection's event loop only.
 */
final class RequestDeadline extends ChannelDuplexHandler {
    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    /**
     * The request in progress is, or may yet turn out to be, a HEAD (its method is "HEAD", or what
     * came of it so far is a prefix of that): its refusal is sent without a body, which its client
     * would read as the next response. Told by {@link RequestDecoder}, which sees the request line.
     */
    private boolean mayBeHead;

    RequestDeadline(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (timer == null && msg instanceof ByteBuf bytes && bytes.isReadable()) {
            timer = ctx.executor().schedule(this::expire, timeoutNanos, TimeUnit.NANOSECONDS);
        }
        super.channelRead(ctx, msg);
    }

    /**
     * Part of a request is held after a read (the decoder says so): its clock starts now unless it
     * is running, since the read's first byte belonged to a request already answered.
     */
    void requestStarted() {
        if (timer == null && ctx.channel().isActive()) {
            timer = ctx.executor().schedule(this::expire, timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** What the decoder knows of the current request's method: whether it is, or may be, HEAD. */
    void mayBeHead(boolean head) {
        mayBeHead = head;
    }

    boolean mayBeHead() {
        return mayBeHead;
    }

    /** Some of a request has arrived, and not all of it. */
    boolean inProgress() {
        return timer != null;
    }

    /** A whole request arrived; the next one's clock starts with its first byte. */
    void requestReceived() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        mayBeHead = false;
    }

    /**
     * Told down the pipeline when a request's deadline passes: {@link ApiHandler} answers it 408 in its
     * place among the connection's replies, then closes. It was written here at once, ahead of the
     * replies still owed to earlier requests (a claim held for work, up to 20 s): the client read the
     * 408 as the answer to its claim.
     */
    record Expired(String message, boolean mayBeHead) {
    }

    private void expire() {
        timer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        ctx.channel().config().setAutoRead(false);  // nothing more of it is read
        ctx.fireUserEventTriggered(new Expired("request not received within " + timeoutNanos / 1_000_000_000
                + " s of its first byte", mayBeHead));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        requestReceived();
        super.channelInactive(ctx);
    }
}
