package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.PeerAddress;

/**
 * The network a host belongs to, as diversity counts it (Bitcoin's netgroups): an IPv4 address by
 * its /16, an IPv6 one by its /32, a name by its domain ({@link PeerAddress#hostGroup}). One party
 * easily holds many addresses of one such network (a /24 of a cloud provider, names under its own
 * domain), rarely addresses in many: so a peer table and the dials it feeds are spread across
 * networks, and a flood of made-up peers from one network takes neither the table nor the links.
 */
public final class NetworkGroup {
    private NetworkGroup() {
    }

    /** The group of {@code host} (one {@link PeerAddress#isHost} accepts); "" for none. */
    static String of(String host) {
        if (host.isEmpty()) {
            return "";
        }
        String canonical = PeerAddress.canonicalHost(host);
        if (canonical.contains(":")) {
            // As Java writes an IPv6 literal: eight hextets, none elided ("2001:db8:0:0:0:0:0:7").
            String[] hextets = canonical.split(":", 3);
            return hextets.length >= 2 ? hextets[0] + ":" + hextets[1] + "::/32" : canonical;
        }
        if (canonical.chars().allMatch(c -> c == '.' || Character.isDigit(c)) && canonical.chars().filter(c -> c == '.').count() == 3) {
            return canonical.substring(0, canonical.indexOf('.', canonical.indexOf('.') + 1)) + ".0.0/16";
        }
        return PeerAddress.hostGroup(host);
    }

    /**
     * The group of a link's remote end as the driver keys it ({@link LinkEnd#address}: an IPv4
     * literal, or an IPv6 address by its /64 as {@code v6:} and 16 hex digits), spelt as
     * {@link #of} spells the group of that host, so a link and a table entry of one network meet.
     * Any other key (the core tests' {@code loopback}) is its own group.
     */
    public static String ofLinkAddress(String address) {
        if (address.startsWith("v6:") && address.length() >= 11) {
            try {
                return Integer.toHexString(Integer.parseInt(address.substring(3, 7), 16)) + ":"
                        + Integer.toHexString(Integer.parseInt(address.substring(7, 11), 16)) + "::/32";
            } catch (NumberFormatException notHex) {
                return address;
            }
        }
        return PeerAddress.isHost(address) ? of(address) : address;
    }
}
