package dev.rhizome.node.peer;

import dev.rhizome.protocol.WarnBudget;
import dev.rhizome.node.gossip.core.NetworkGroup;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the connections a server holds open, in all and from one address, so that a peer
 * opening sockets by the thousand cannot take the node's file descriptors (its repository needs
 * them too) or crowd out everyone else. A connection past the bound of its address is closed as
 * soon as it is accepted, before anything is read from it. An address is counted as the upload
 * slots count it (an IPv6 address by its /64), a network as the gossip core's
 * {@link NetworkGroup} (an IPv4 address by its /16, an IPv6 one by its /32). One instance per
 * server, shared by its connections.
 *
 * <p>The total is shared max-min, as the gossip core shares its inbound link slots: when it is
 * full, a newcomer from a network holding at least two fewer connections than the most crowded
 * one takes the place of that network's newest connection not yet proven (a fetcher that has not
 * proved its key, a gossip link whose handshake is not done), from its most crowded address;
 * failing that, one from an address holding at least two fewer than the most crowded address of
 * its own network takes the newest unproven place of that address. Before, connections that said
 * nothing (or hello, and never proved a key) from four addresses held all 1,024 for the handshake
 * deadline, opened again as each closed, and every other peer was refused. A proven connection
 * (a link, an upload) is never displaced: honest peers behind one NAT keep theirs.
 */
@ChannelHandler.Sharable
public final class InboundLimits extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(InboundLimits.class);
    /** A peer opening sockets in a loop would otherwise write a line per socket. */
    private static final WarnBudget REFUSED = new WarnBudget(log);
    private static final WarnBudget BACKING_OFF = new WarnBudget(log);
    private static final WarnBudget DISPLACED = new WarnBudget(log);
    private static final AttributeKey<Boolean> PROVEN = AttributeKey.valueOf("rhizome.inbound.proven");
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
    /** The connections held, each with where it comes from, in the order they were accepted. */
    private final Map<Channel, Origin> held = new LinkedHashMap<>();
    private final Map<String, Integer> perAddress = new HashMap<>();
    private final Map<String, Integer> perNetwork = new HashMap<>();

    private record Origin(String address, String network) {
    }

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

    /**
     * {@code channel}'s peer proved who it is (a fetcher its key, a gossip link its handshake): its
     * place is no longer given to a newcomer of a less crowded network or address.
     */
    public static void proven(Channel channel) {
        channel.attr(PROVEN).set(Boolean.TRUE);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        InetAddress address = address(ctx.channel().remoteAddress());
        // An address whose peer was cut for misbehaviour a moment ago: no handshake, no crypto,
        // and no place taken from anyone.
        long closedFor = backoff.closedFor(address);
        if (closedFor > 0) {
            BACKING_OFF.warn("refusing a connection from {}: a peer there was cut for misbehaviour, {} s more",
                    address.getHostAddress(), (closedFor + 999) / 1000);
            ctx.close();
            return;
        }
        String key = UploadSlots.addressKey(address);
        Origin origin = new Origin(key, NetworkGroup.ofLinkAddress(key));
        Channel displaced = null;
        int total;
        int fromAddress;
        synchronized (this) {
            total = held.size();
            fromAddress = perAddress.getOrDefault(key, 0);
            boolean admitted = fromAddress < maxPerAddress;
            if (admitted && total >= maxConnections) {
                displaced = toDisplace(origin);
                admitted = displaced != null;
                if (admitted) {
                    forget(displaced);
                }
            }
            if (admitted) {
                held.put(ctx.channel(), origin);
                perAddress.merge(origin.address(), 1, Integer::sum);
                perNetwork.merge(origin.network(), 1, Integer::sum);
            }
        }
        if (displaced != null) {
            DISPLACED.warn("closing an unproven connection from {} for one from {}: {} open in all (at most {})",
                    PeerMessages.remote(displaced), address.getHostAddress(), total, maxConnections);
            displaced.close();
        } else if (total >= maxConnections || fromAddress >= maxPerAddress) {
            REFUSED.warn("refusing a connection from {}: {} open in all (at most {}), {} from that address (at most {})",
                    address.getHostAddress(), total, maxConnections, fromAddress, maxPerAddress);
            ctx.close();
            return;
        }
        super.channelActive(ctx);
    }

    /**
     * Under the lock, the total full: the newest unproven connection of the most crowded network,
     * if it holds at least two more than {@code newcomer}'s, from its most crowded address; else
     * of the most crowded address of the newcomer's network, if that holds at least two more than
     * the newcomer's address. Null when neither (the newcomer is refused).
     */
    private Channel toDisplace(Origin newcomer) {
        int ownNetwork = perNetwork.getOrDefault(newcomer.network(), 0);
        int ownAddress = perAddress.getOrDefault(newcomer.address(), 0);
        Channel best = null;
        int bestNetwork = -1;
        int bestAddress = -1;
        for (Map.Entry<Channel, Origin> e : held.entrySet()) {  // oldest first: a later one of equal rank is newer
            if (Boolean.TRUE.equals(e.getKey().attr(PROVEN).get())) {
                continue;
            }
            Origin origin = e.getValue();
            int network = perNetwork.get(origin.network());
            int fromAddress = perAddress.get(origin.address());
            boolean crowdedNetwork = network >= ownNetwork + 2;
            boolean crowdedAddress = origin.network().equals(newcomer.network()) && fromAddress >= ownAddress + 2;
            if (!crowdedNetwork && !crowdedAddress) {
                continue;
            }
            int rankNetwork = crowdedNetwork ? network : 0;  // another network's excess first
            if (rankNetwork > bestNetwork || (rankNetwork == bestNetwork && fromAddress >= bestAddress)) {
                best = e.getKey();
                bestNetwork = rankNetwork;
                bestAddress = fromAddress;
            }
        }
        return best;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        synchronized (this) {
            forget(ctx.channel());
        }
        super.channelInactive(ctx);
    }

    /** Under the lock: {@code channel} no longer counts (closed, or displaced and closing). */
    private void forget(Channel channel) {
        Origin origin = held.remove(channel);
        if (origin != null) {
            perAddress.computeIfPresent(origin.address(), (a, n) -> n == 1 ? null : n - 1);
            perNetwork.computeIfPresent(origin.network(), (a, n) -> n == 1 ? null : n - 1);
        }
    }

    /** Connections open now. */
    synchronized int open() {
        return held.size();
    }

    /** The remote host; a channel that is not a socket's (a test's, a local one) counts as loopback. */
    private static InetAddress address(SocketAddress remote) {
        return remote instanceof InetSocketAddress inet && inet.getAddress() != null ? inet.getAddress()
                : InetAddress.getLoopbackAddress();
    }
}
