package dev.rhizome.node.peer;

import dev.rhizome.protocol.PeerAddress;

/**
 * Where peers dial a node when that is not where it listens: behind a NAT or in a container the
 * peer server binds one address and the router (or the container's port mapping) forwards another
 * to it. The node announces this one to the coordinator and in its signed NodeInfo, and never binds it.
 * Held to the rule the coordinator and every peer apply to an announced address ({@link PeerAddress}),
 * so a value they would drop is refused where the volunteer typed it.
 */
public record DialAddress(String host, int port) {
    /** The form a value must take, for the error that refuses one. */
    public static final String FORM = "HOST:PORT where peers dial this node (e.g. 203.0.113.7:7070, [2001:db8::7]:7070, "
            + "node.example.org:7070): a host name or IP address, not 0.0.0.0, and a port from 1 to 65535";

    public DialAddress {
        if (!PeerAddress.isHost(host) || !PeerAddress.isPort(port)) {
            throw new IllegalArgumentException("not a dialable address: " + host + ":" + port + "; expected " + FORM);
        }
    }

    /** {@code HOST:PORT}, an IPv6 literal in brackets; why not, naming the part at fault. */
    public static DialAddress parse(String value) {
        String v = value.strip();
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw new IllegalArgumentException("'" + value + "' has no port; expected " + FORM);
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new IllegalArgumentException("an IPv6 address takes brackets before its port ([" + host + "]"
                    + v.substring(colon) + "); expected " + FORM);
        }
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + v.substring(colon + 1) + "' is not a port; expected " + FORM);
        }
        if (!PeerAddress.isPort(port)) {
            throw new IllegalArgumentException("port " + port + " is not one peers can dial; expected " + FORM);
        }
        if (!PeerAddress.isHost(host)) {
            throw new IllegalArgumentException("'" + host + "' is not a host peers can dial; expected " + FORM);
        }
        return new DialAddress(host, port);
    }

    @Override
    public String toString() {
        return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
}
