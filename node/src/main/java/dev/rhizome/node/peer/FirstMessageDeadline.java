package dev.rhizome.node.peer;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose first whole message has not arrived within the deadline. The idle
 * rule alone is not enough before the first message: a peer sending a byte now and then is never
 * idle, and would hold the socket for as long as it liked without ever saying who it is. Sits
 * after the frame decoder and leaves the pipeline at the first message.
 */
final class FirstMessageDeadline extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(FirstMessageDeadline.class);
    private static final WarnBudget SILENT = new WarnBudget(log);
    static final String NAME = "first-message-deadline";

    private final long deadlineMs;
    private ScheduledFuture<?> timer;

    FirstMessageDeadline(long deadlineMs) {
        this.deadlineMs = deadlineMs;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        timer = ctx.executor().schedule(() -> {
            SILENT.warn("closing connection from {}: no whole message within {} ms", PeerMessages.remote(ctx.channel()),
                    deadlineMs);
            ctx.close();
        }, deadlineMs, TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        cancel();
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
