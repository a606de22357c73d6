package dev.rhizome.node.peer;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the connections a server holds open, in all and from one address, so that a peer
 * opening sockets by the thousand cannot take the node's file descriptors (its repository needs
 * them too) or crowd out everyone else. A connection past either bound is closed as soon as it is
 * accepted, before anything is read from it. An address is counted as the upload slots count it
 * (an IPv6 address by its /64). One instance per server, shared by its connections.
 */
@ChannelHandler.Sharable
final class InboundLimits extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(InboundLimits.class);
    /** A peer opening sockets in a loop would otherwise write a line per socket. */
    private static final WarnBudget REFUSED = new WarnBudget(log);
    private static final WarnBudget BACKING_OFF = new WarnBudget(log);
    /** Gossip links, pooled fetch connections and uploads of a busy node fit well inside. */
    static final int MAX_CONNECTIONS = 1024;
    /**
     * Generous, because nodes behind one NAT (or a whole test network on loopback) share an
     * address; it bounds one host's share, the total bounds everyone's.
     */
    static final int MAX_PER_ADDRESS = 256;

    private final int maxConnections;
    private final int maxPerAddress;
    private final AddressBackoff backoff;
    private final AtomicInteger open = new AtomicInteger();
    /** By {@link UploadSlots#addressKey}: an IPv6 host holds a whole /64, and would else have billions of shares. */
    private final ConcurrentHashMap<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();

    InboundLimits(AddressBackoff backoff) {
        this(MAX_CONNECTIONS, MAX_PER_ADDRESS, backoff);
    }

    InboundLimits(int maxConnections, int maxPerAddress) {
        this(maxConnections, maxPerAddress, new AddressBackoff());
    }

    InboundLimits(int maxConnections, int maxPerAddress, AddressBackoff backoff) {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.backoff = backoff;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        InetAddress address = address(ctx.channel().remoteAddress());
        int total = open.incrementAndGet();
        int fromAddress = perAddress.computeIfAbsent(UploadSlots.addressKey(address), a -> new AtomicInteger()).incrementAndGet();
        if (total > maxConnections || fromAddress > maxPerAddress) {
            REFUSED.warn("refusing a connection from {}: {} open in all (at most {}), {} from that address (at most {})",
                    address.getHostAddress(), total - 1, maxConnections, fromAddress - 1, maxPerAddress);
            ctx.close();
            return;
        }
        // An address whose peer was cut for misbehaviour a moment ago: no handshake, no crypto.
        long closedFor = backoff.closedFor(address);
        if (closedFor > 0) {
            BACKING_OFF.warn("refusing a connection from {}: a peer there was cut for misbehaviour, {} s more",
                    address.getHostAddress(), (closedFor + 999) / 1000);
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        InetAddress address = address(ctx.channel().remoteAddress());
        open.decrementAndGet();
        perAddress.computeIfPresent(UploadSlots.addressKey(address), (a, count) -> count.decrementAndGet() == 0 ? null : count);
        super.channelInactive(ctx);
    }

    /** Connections open now. */
    int open() {
        return open.get();
    }

    /** The remote host; a channel that is not a socket's (a test's, a local one) counts as loopback. */
    private static InetAddress address(SocketAddress remote) {
        return remote instanceof InetSocketAddress inet && inet.getAddress() != null ? inet.getAddress()
                : InetAddress.getLoopbackAddress();
    }
}
