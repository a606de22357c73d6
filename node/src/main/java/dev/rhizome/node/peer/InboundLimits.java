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
 *
 * <p>Half-open connections (accepted, their key not yet proven) are bounded apart, from one address
 * ({@link #MAX_HALF_OPEN_PER_ADDRESS}) and in all ({@link #MAX_HALF_OPEN}): a rogue on one address
 * held up to {@link #MAX_PER_ADDRESS} of them, each a hello answered (a verification and a
 * signature) and a place held for the handshake deadline. Past its address's bound a connection
 * is closed at accept, as past the address's bound of all connections; past the bound in all, a
 * newcomer takes the newest unproven place of a more crowded network or address (counted in
 * half-open connections), as when the total is full, or is refused. The rule for nodes sharing an
 * address (a NAT, a test network on loopback): the address gets that many handshakes at once, not
 * more, whoever makes them; a connection that proves its key no longer counts against it and is
 * never displaced, so an honest peer there links as soon as it is let in and finishes its
 * handshake, and is let in as soon as one of the address's half-open connections ends: at its
 * handshake deadline at the latest (a rogue refilling them meanwhile churns, and the address
 * rests: {@link AddressBackoff}). A rogue's flood never holds more than the bound, and never an
 * honest peer's proven link.
 */
@ChannelHandler.Sharable
public final class InboundLimits extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(InboundLimits.class);
    /** A peer opening sockets in a loop would otherwise write a line per socket. */
    private static final WarnBudget REFUSED = new WarnBudget(log);
    private static final WarnBudget BACKING_OFF = new WarnBudget(log);
    private static final WarnBudget DISPLACED = new WarnBudget(log);
    /** Gossip links, pooled fetch connections and uploads of a busy node fit well inside. */
    static final int MAX_CONNECTIONS = 1024;
    /**
     * Generous, because nodes behind one NAT (or a whole test network on loopback) share an
     * address; it bounds one host's share, the total bounds everyone's.
     */
    static final int MAX_PER_ADDRESS = 256;
    /**
     * Handshakes under way from one address at once: as many as the gossip core lets wait their
     * turn from one address ({@code HandshakeTurns}), far more than nodes behind one NAT make at
     * once (a handshake takes a few round trips).
     */
    static final int MAX_HALF_OPEN_PER_ADDRESS = 64;
    /** Handshakes under way at once in all: a quarter of the connections, the rest kept for peers that proved their keys. */
    static final int MAX_HALF_OPEN = 256;
    private static final AttributeKey<InboundLimits> HOLDER = AttributeKey.valueOf("rhizome.inbound.limits");

    private final int maxConnections;
    private final int maxPerAddress;
    private final int maxHalfOpen;
    private final int maxHalfOpenPerAddress;
    private final AddressBackoff backoff;
    /** The connections held, each with where it comes from, in the order they were accepted. */
    private final Map<Channel, Origin> held = new LinkedHashMap<>();
    private final Counts all = new Counts();
    /** Those of {@link #held} not yet proven. */
    private final Counts halfOpen = new Counts();

    /** Where a connection comes from, and whether its peer proved its key; under the lock. */
    private static final class Origin {
        final String address;
        final String network;
        boolean proven;

        Origin(String address, String network) {
            this.address = address;
            this.network = network;
        }
    }

    /** Connections counted in all, by address and by network. */
    private static final class Counts {
        int total;
        final Map<String, Integer> perAddress = new HashMap<>();
        final Map<String, Integer> perNetwork = new HashMap<>();

        void add(Origin o) {
            total++;
            perAddress.merge(o.address, 1, Integer::sum);
            perNetwork.merge(o.network, 1, Integer::sum);
        }

        void remove(Origin o) {
            total--;
            perAddress.computeIfPresent(o.address, (a, n) -> n == 1 ? null : n - 1);
            perNetwork.computeIfPresent(o.network, (a, n) -> n == 1 ? null : n - 1);
        }

        int address(String key) {
            return perAddress.getOrDefault(key, 0);
        }

        int network(String key) {
            return perNetwork.getOrDefault(key, 0);
        }
    }

    InboundLimits(AddressBackoff backoff) {
        this(MAX_CONNECTIONS, MAX_PER_ADDRESS, MAX_HALF_OPEN, MAX_HALF_OPEN_PER_ADDRESS, backoff);
    }

    /** Half-open connections bounded only as all are. */
    InboundLimits(int maxConnections, int maxPerAddress) {
        this(maxConnections, maxPerAddress, maxConnections, maxPerAddress, new AddressBackoff());
    }

    InboundLimits(int maxConnections, int maxPerAddress, int maxHalfOpen, int maxHalfOpenPerAddress) {
        this(maxConnections, maxPerAddress, maxHalfOpen, maxHalfOpenPerAddress, new AddressBackoff());
    }

    InboundLimits(int maxConnections, int maxPerAddress, int maxHalfOpen, int maxHalfOpenPerAddress, AddressBackoff backoff) {
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.maxHalfOpen = maxHalfOpen;
        this.maxHalfOpenPerAddress = maxHalfOpenPerAddress;
        this.backoff = backoff;
    }

    /**
     * {@code channel}'s peer proved who it is (a fetcher its key, a gossip link its handshake): it no
     * longer counts as half-open, and its place is no longer given to a newcomer of a less crowded
     * network or address. Nothing happens for a channel no server holds (a dialled one).
     */
    public static void proven(Channel channel) {
        InboundLimits limits = channel.attr(HOLDER).get();
        if (limits != null) {
            limits.provenNow(channel);
        }
    }

    private synchronized void provenNow(Channel channel) {
        Origin origin = held.get(channel);
        if (origin != null && !origin.proven) {
            origin.proven = true;
            halfOpen.remove(origin);
        }
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
        boolean admitted;
        int total;
        int fromAddress;
        int halfOpenTotal;
        int halfOpenFromAddress;
        synchronized (this) {
            total = all.total;
            fromAddress = all.address(key);
            halfOpenTotal = halfOpen.total;
            halfOpenFromAddress = halfOpen.address(key);
            // An address's bounds are never made room for: the newcomer would take the place of its own address's.
            admitted = fromAddress < maxPerAddress && halfOpenFromAddress < maxHalfOpenPerAddress;
            if (admitted && (total >= maxConnections || halfOpenTotal >= maxHalfOpen)) {
                // The total full, places are shared by all connections; else by the half-open ones.
                displaced = toDisplace(origin, total >= maxConnections ? all : halfOpen);
                admitted = displaced != null;
                if (admitted) {
                    forget(displaced);
                }
            }
            if (admitted) {
                held.put(ctx.channel(), origin);
                all.add(origin);
                halfOpen.add(origin);
                ctx.channel().attr(HOLDER).set(this);
            }
        }
        if (!admitted) {
            REFUSED.warn("refusing a connection from {}: {} open in all (at most {}), {} from that address (at most {});"
                            + " {} of them half-open in all (at most {}), {} from that address (at most {})",
                    address.getHostAddress(), total, maxConnections, fromAddress, maxPerAddress,
                    halfOpenTotal, maxHalfOpen, halfOpenFromAddress, maxHalfOpenPerAddress);
            ctx.close();
            return;
        }
        if (displaced != null) {
            DISPLACED.warn("closing an unproven connection from {} for one from {}: {} open in all (at most {}), {} half-open (at most {})",
                    PeerMessages.remote(displaced), address.getHostAddress(), total, maxConnections, halfOpenTotal, maxHalfOpen);
            displaced.close();
        }
        super.channelActive(ctx);
    }

    /**
     * Under the lock, the total or the half-open bound full: the newest unproven connection of the
     * most crowded network, if it holds at least two more than {@code newcomer}'s, from its most
     * crowded address; else of the most crowded address of the newcomer's network, if that holds at
     * least two more than the newcomer's address; crowding counted in {@code counts}. Null when
     * neither (the newcomer is refused).
     */
    private Channel toDisplace(Origin newcomer, Counts counts) {
        int ownNetwork = counts.network(newcomer.network);
        int ownAddress = counts.address(newcomer.address);
        Channel best = null;
        int bestNetwork = -1;
        int bestAddress = -1;
        for (Map.Entry<Channel, Origin> e : held.entrySet()) {  // oldest first: a later one of equal rank is newer
            Origin origin = e.getValue();
            if (origin.proven) {
                continue;
            }
            int network = counts.network(origin.network);
            int fromAddress = counts.address(origin.address);
            boolean crowdedNetwork = network >= ownNetwork + 2;
            boolean crowdedAddress = origin.network.equals(newcomer.network) && fromAddress >= ownAddress + 2;
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
            all.remove(origin);
            if (!origin.proven) {
                halfOpen.remove(origin);
            }
        }
    }

    /** Connections open now. */
    synchronized int open() {
        return held.size();
    }

    /** Connections open now whose peer has not proved its key. */
    synchronized int halfOpen() {
        return halfOpen.total;
    }

    /** The remote host; a channel that is not a socket's (a test's, a local one) counts as loopback. */
    private static InetAddress address(SocketAddress remote) {
        return remote instanceof InetSocketAddress inet && inet.getAddress() != null ? inet.getAddress()
                : InetAddress.getLoopbackAddress();
    }
}
