package dev.rhizome.node.peer;

import dev.rhizome.protocol.WarnBudget;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection whose peer has not proved who it is in time, by the rule of
 * {@link HandshakeClock}: each of the peer's turns has its window from the moment our last message
 * reached the socket (or the connection opened), our own turns do not count, and the whole
 * handshake has a cap. It sits after the frame codec on every server connection and every dialled
 * gossip link and every fetch connection (round 34: a holder's address that took the connection and
 * never said hello held the fetch for the idle timeout, 30 s, and was retried as a stall), so it sees
 * our handshake messages go out; a handler whose answer waits on something
 * of ours (a gossip hello waiting its turn) says so ({@link #ourTurn}). It is lifted
 * ({@link #passed}) once the peer proved its key: by the serving handler when a fetcher's proof is
 * checked, by the gossip link when its handshake is up.
 *
 * <p>The idle rule alone is not enough before then: a peer sending a byte now and then is never
 * idle, and one that says hello and then nothing more is idle only after the idle timeout
 * (minutes), so hello-only connections from a few addresses held the server's whole connection
 * limit.
 */
public final class HandshakeDeadline extends ChannelDuplexHandler {
    private static final Logger log = LoggerFactory.getLogger(HandshakeDeadline.class);
    private static final WarnBudget SILENT = new WarnBudget(log);
    public static final String NAME = "handshake-deadline";

    /**
     * Fired down the pipeline just before the deadline closes the connection, so a handler that
     * reports the connection's end (the fetcher's) can say why rather than "it hung up".
     */
    public record Expired(String why) {
    }

    private final Duration connectTimeout;
    private HandshakeClock clock;
    private ScheduledFuture<?> timer;

    /** @param connectTimeout what this node gives itself to connect; the peer's turns are measured in it */
    public HandshakeDeadline(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    /** The connection proved its key: no longer ours to close. */
    public static void passed(ChannelPipeline pipeline) {
        if (pipeline.get(NAME) instanceof HandshakeDeadline deadline) {
            deadline.cancel();
            pipeline.remove(deadline);
        }
    }

    /** Our answer waits on us (a gossip hello waiting its turn): the peer's turn stops until we write. On the event loop. */
    public static void ourTurn(ChannelPipeline pipeline) {
        if (pipeline.get(NAME) instanceof HandshakeDeadline deadline && deadline.clock != null) {
            deadline.clock.ourTurn();
            deadline.arm(pipeline.context(deadline));
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        clock = HandshakeClock.forConnectTimeout(connectTimeout, nowMs());
        arm(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        ChannelPromise written = promise.unvoid();
        written.addListener(done -> {
            // The event loop runs this: the handler may have been lifted meanwhile (the write was the last proof).
            if (done.isSuccess() && clock != null && timer != null) {
                clock.peerTurn(nowMs());
                arm(ctx);
            }
        });
        if (clock != null) {
            clock.ourTurn();  // until the message is on the socket: a slow write of ours is not the peer's time
            arm(ctx);
        }
        super.write(ctx, msg, written);
    }

    private void arm(ChannelHandlerContext ctx) {
        cancel();
        long delay = Math.max(0, clock.deadlineMs() - nowMs());
        timer = ctx.executor().schedule(() -> {
            long now = nowMs();
            if (!clock.expired(now)) {
                arm(ctx);  // its turn moved on since this was armed
                return;
            }
            SILENT.warn("closing connection with {}: its key not proven, {}", PeerMessages.remote(ctx.channel()), clock.why(now));
            ctx.fireUserEventTriggered(new Expired(clock.why(now)));
            ctx.close();
        }, delay, TimeUnit.MILLISECONDS);
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

    private static long nowMs() {
        return System.nanoTime() / 1_000_000;
    }
}
