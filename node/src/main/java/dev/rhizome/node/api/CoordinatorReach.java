package dev.rhizome.node.api;

import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.PeerAddress.Reach;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

/**
 * How far the coordinator this node talks to reaches, which bounds the addresses it may hand out
 * (the nodes to join through, a unit's peers, a commit's holders): a coordinator on this machine
 * may name loopback peers (a test network, the demo), one on the LAN private ones, one on the
 * internet only public ones. Otherwise whoever answers at the coordinator's URL (or a rogue that
 * announced there before the coordinator checked announcements) had every volunteer dial
 * 127.0.0.1, its LAN or a cloud's metadata address. A literal is judged by its range; a name by
 * every address it resolves to now, the widest counting (the client may connect to any of them);
 * a name that resolves to nothing counts as the internet's.
 */
public final class CoordinatorReach {
    /** What a host name resolves to; a literal is parsed, never looked up. */
    @FunctionalInterface
    public interface Lookup {
        InetAddress[] all(String host) throws UnknownHostException;
    }

    private CoordinatorReach() {
    }

    public static Reach of(URI coordinator) {
        return of(coordinator, InetAddress::getAllByName);
    }

    public static Reach of(URI coordinator, Lookup lookup) {
        String host = coordinator.getHost();
        if (host == null) {
            return Reach.GLOBAL;
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);  // an IPv6 literal as a URL writes it
        }
        Reach widest = null;
        try {
            for (InetAddress address : lookup.all(host)) {
                Reach r = PeerAddress.reach(address);
                widest = widest == null || r.compareTo(widest) > 0 ? r : widest;
            }
        } catch (UnknownHostException e) {
            return Reach.GLOBAL;
        }
        return widest == null ? Reach.GLOBAL : widest;
    }
}
