package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.MinDataRate;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Slow clients: a request must be fully received within a deadline counted from its first byte,
 * so trickling headers or a body a byte at a time holds a connection for a bounded time only; and,
 * sooner, it must keep arriving at the {@link MinDataRate}: each whole window from its first byte
 * must bring the floor's bytes, so a body that stopped arriving is cut after a window or two, not
 * the whole deadline. A window is judged only if the client was never seen waiting on us in it
 * (replies owed to its earlier requests, a "100 Continue" held behind them: {@link #pausedWhile})
 * nor this server not reading it (back-pressure): the state is looked at every eighth of a window,
 * and a window seen paused starts again whole from the first look that finds it not, so a client
 * whose wait just ended has a whole window to send the rest (judged at the end of a window it had
 * mostly spent waiting, an honest pipelining client was cut). Sits
 * before the HTTP decoder (it sees raw bytes arrive); {@link ApiHandler} tells it when a whole
 * request has come. Runs on the connection's event loop only.
 */
final class RequestDeadline extends ChannelDuplexHandler {
    private final long timeoutNanos;
    private final MinDataRate rate;
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    /** The data rate's next look at the current window, when the window began, and the bytes read in it. */
    private ScheduledFuture<?> rateCheck;
    private long windowStartNanos;
    private long windowBytes;
    /** Whether the client may be waiting on this server rather than sending (told by ApiHandler). */
    private BooleanSupplier paused = () -> false;
    /**
     * The request in progress is, or may yet turn out to be, a HEAD (its method is "HEAD", or what
     * came of it so far is a prefix of that): its refusal is sent without a body, which its client
     * would read as the next response. Told by {@link RequestDecoder}, which sees the request line.
     */
    private boolean mayBeHead;

    RequestDeadline(Duration timeout) {
        this(timeout, new MinDataRate(0, Duration.ofSeconds(1)));
    }

    RequestDeadline(Duration timeout, MinDataRate rate) {
        this.timeoutNanos = timeout.toNanos();
        this.rate = rate;
    }

    /** While {@code waiting} holds, the client may be waiting on this server: no window is judged. */
    void pausedWhile(BooleanSupplier waiting) {
        this.paused = waiting;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
            if (timer == null) {
                start();
            }
            windowBytes += bytes.readableBytes();
        }
        super.channelRead(ctx, msg);
    }

    /**
     * Part of a request is held after a read (the decoder says so): its clock starts now unless it
     * is running, since the read's first byte belonged to a request already answered.
     */
    void requestStarted() {
        if (timer == null && ctx.channel().isActive()) {
            start();
        }
    }

    private void start() {
        timer = ctx.executor().schedule(this::expire, timeoutNanos, TimeUnit.NANOSECONDS);
        newWindow();
        if (rate.enforced()) {
            lookAgain();
        }
    }

    private void newWindow() {
        windowStartNanos = System.nanoTime();
        windowBytes = 0;
    }

    private void lookAgain() {
        rateCheck = ctx.executor().schedule(this::lookAtWindow, Math.max(1, rate.window().toNanos() / 8),
                TimeUnit.NANOSECONDS);
    }

    /**
     * A look at the request in progress: a client waiting on us (or not read) starts its window
     * again; a window that has passed whole is judged, and brought the floor's bytes or the request
     * is cut.
     */
    private void lookAtWindow() {
        rateCheck = null;
        if (timer == null || !ctx.channel().isActive()) {
            return;
        }
        if (!ctx.channel().config().isAutoRead() || paused.getAsBoolean()) {
            newWindow();
            lookAgain();
            return;
        }
        if (System.nanoTime() - windowStartNanos < rate.window().toNanos()) {
            lookAgain();
            return;
        }
        long bytes = windowBytes;
        newWindow();
        if (!rate.met(bytes)) {
            timer.cancel(false);
            timer = null;
            fire(new Expired("request arriving too slowly: " + bytes + " bytes in the last "
                    + rate.window().toMillis() / 1000.0 + " s, under the minimum of " + rate.bytesPerSecond()
                    + " bytes a second; send the whole request at once, or on a faster link",
                    mayBeHead, ConnectionCloses.SLOW_REQUEST));
            return;
        }
        lookAgain();
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
        if (rateCheck != null) {
            rateCheck.cancel(false);
            rateCheck = null;
        }
        windowBytes = 0;
        mayBeHead = false;
    }

    /**
     * Told down the pipeline when a request's deadline passes: {@link ApiHandler} answers it 408 in its
     * place among the connection's replies, then closes. It was written here at once, ahead of the
     * replies still owed to earlier requests (a claim held for work, up to 20 s): the client read the
     * 408 as the answer to its claim.
     */
    record Expired(String message, boolean mayBeHead, String reason) {
    }

    private void expire() {
        timer = null;
        if (rateCheck != null) {
            rateCheck.cancel(false);
            rateCheck = null;
        }
        fire(new Expired("request not received within " + timeoutNanos / 1_000_000_000
                + " s of its first byte", mayBeHead, ConnectionCloses.REQUEST_TIMEOUT));
    }

    private void fire(Expired expired) {
        if (!ctx.channel().isActive()) {
            return;
        }
        ctx.channel().config().setAutoRead(false);  // nothing more of it is read
        ctx.fireUserEventTriggered(expired);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        requestReceived();
        super.channelInactive(ctx);
    }
}
