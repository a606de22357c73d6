package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.PeerAddress.Reach;

/**
 * A link's remote end as the driver sees its socket: its address as per-address bounds count it
 * (an IPv6 address by its /64) and how far that address reaches.
 */
public record LinkEnd(String address, Reach reach) {
    /** Links over loopback: the simulations' and the core tests' (any address may be learnt; one address for all). */
    public static final LinkEnd LOOPBACK = new LinkEnd("loopback", Reach.LOOPBACK);

    /** The network the address is in ({@link NetworkGroup}), as inbound slots are shared by. */
    String network() {
        return NetworkGroup.ofLinkAddress(address);
    }
}
