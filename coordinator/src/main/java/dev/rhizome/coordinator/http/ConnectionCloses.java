package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.List;

/**
 * Why the coordinator closed a connection on its own, as {@code rhizome_connections_closed_total}
 * names it: an operator tells a wave of non-readers ({@code write_stall}, {@code reply_holders})
 * from clients that open and leave connections unused ({@code idle}), send without end
 * ({@code request_budget}), send too slowly ({@code slow_request}, {@code request_timeout}) or send
 * what ends a connection ({@code refused}), and from the coordinator's own failures
 * ({@code reply_unwritable}, {@code pipeline_failure}), which the logs alone showed only line by
 * line, and bounded.
 *
 * <p>Each path that decides to close names its reason here ({@link #because}) before it closes, or
 * before the reply that closes it is sent; the connection is counted once, when it closes, under
 * the first reason named ({@link #countedBy}). So no close is counted twice, and a connection its
 * client closed (or one the server's own shutdown closed) is counted under none.
 */
final class ConnectionCloses {
    static final String IDLE = "idle";
    static final String WRITE_STALL = "write_stall";
    static final String REPLY_HOLDERS = "reply_holders";
    static final String REQUEST_BUDGET = "request_budget";
    /** The whole request did not arrive within the request deadline (408). */
    static final String REQUEST_TIMEOUT = "request_timeout";
    /** The request arrived below the minimum data rate (408). */
    static final String SLOW_REQUEST = "slow_request";
    /** A request refused so that the connection ends: framing in doubt, too large, too far ahead, no room. */
    static final String REFUSED = "refused";
    /** A reply could not be written while the connection was still open. */
    static final String REPLY_UNWRITABLE = "reply_unwritable";
    /** A handler of the connection's pipeline failed (not the client's reset). */
    static final String PIPELINE_FAILURE = "pipeline_failure";

    /** Every reason, for tests and docs. */
    static final List<String> ALL = List.of(IDLE, WRITE_STALL, REPLY_HOLDERS, REQUEST_BUDGET, REQUEST_TIMEOUT,
            SLOW_REQUEST, REFUSED, REPLY_UNWRITABLE, PIPELINE_FAILURE);

    private static final AttributeKey<String> REASON = AttributeKey.valueOf(ConnectionCloses.class, "reason");

    private ConnectionCloses() {
    }

    /** The coordinator will close {@code channel} for {@code reason}, unless a reason was named first. */
    static void because(Channel channel, String reason) {
        channel.attr(REASON).setIfAbsent(reason);
    }

    /** The reason named for closing {@code channel}, null when none was (yet). */
    static String reason(Channel channel) {
        return channel.attr(REASON).get();
    }

    /** Counts {@code channel} under its reason when it closes, if the coordinator named one. */
    static void countedBy(Channel channel, CoordinatorMetrics metrics) {
        channel.closeFuture().addListener(f -> {
            String reason = reason(channel);
            if (reason != null) {
                metrics.connectionClosed(reason);
            }
        });
    }
}
