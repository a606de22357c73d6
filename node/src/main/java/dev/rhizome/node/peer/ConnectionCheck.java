package dev.rhizome.node.peer;

import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection's periodic check on its event loop (a slow reader, a stalled fetch). One that
 * threw would be cancelled by Netty for good, leaving the connection unwatched (a staller would
 * then keep its slot); the connection is closed instead, which its fetcher or server already
 * takes as a lost connection (retried, and its slot freed).
 */
final class ConnectionCheck {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionCheck.class);

    private ConnectionCheck() {
    }

    static Runnable guarded(ChannelHandlerContext ctx, String what, Runnable check) {
        return () -> {
            try {
                check.run();
            } catch (RuntimeException | Error e) {
                LOG.error("{} of connection {} failed; closing it", what, PeerMessages.remote(ctx.channel()), e);
                ctx.close();
            }
        };
    }
}
