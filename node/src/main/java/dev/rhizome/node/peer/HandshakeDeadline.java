package dev.rhizome.node.peer;

import dev.rhizome.protocol.WarnBudget;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes an inbound connection that has not proved who it is within the deadline. The idle rule
 * alone is not enough before then: a peer sending a byte now and then is never idle, and one that
 * says hello and then nothing more is idle only after the idle timeout (minutes), so hello-only
 * connections from a few addresses held the server's whole connection limit. The deadline is lifted
 * ({@link #passed}) by whoever takes the connection over: the gossip link, whose handshake has a
 * timeout of its own, or the serving handler once the fetcher's proof of key is checked.
 */
final class HandshakeDeadline extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HandshakeDeadline.class);
    private static final WarnBudget SILENT = new WarnBudget(log);
    static final String NAME = "handshake-deadline";

    private final long deadlineMs;
    private ScheduledFuture<?> timer;

    HandshakeDeadline(long deadlineMs) {
        this.deadlineMs = deadlineMs;
    }

    /** The connection proved its key, or went to a handler with a deadline of its own: no longer ours to close. */
    static void passed(ChannelPipeline pipeline) {
        if (pipeline.get(NAME) instanceof HandshakeDeadline deadline) {
            deadline.cancel();
            pipeline.remove(deadline);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        timer = ctx.executor().schedule(() -> {
            SILENT.warn("closing connection from {}: no proven hello within {} ms", PeerMessages.remote(ctx.channel()),
                    deadlineMs);
            ctx.close();
        }, deadlineMs, TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
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
