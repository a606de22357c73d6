package dev.rhizome.node.api;

import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.PeerAddress.Reach;
import java.util.Optional;

/**
 * Whether peers can reach this node at the address it announces, as far as the node can tell
 * without traversing a NAT: the coordinator lists only an announced host no narrower than the
 * address the announcement came from, and a peer drops an address narrower than the link it heard
 * it over. A node on a LAN (or behind a NAT) announcing its private address to a coordinator on
 * the internet is therefore listed nowhere and fetched from by no one: it still fetches and runs
 * work, and said so only in one line at start, easy to miss under a service manager.
 */
public final class AnnouncedReach {
    private AnnouncedReach() {
    }

    /**
     * Why peers will not fetch from a node announcing {@code host} to a coordinator of reach
     * {@code coordinator} (at {@code coordinatorUrl}); empty when the host reaches as far as the
     * coordinator does (a public host behind a NAT that forwards no port still looks reachable).
     */
    public static Optional<String> narrowerThanCoordinator(String host, Reach coordinator, String coordinatorUrl) {
        Reach announced = PeerAddress.reach(host);
        if (announced.compareTo(coordinator) >= 0) {
            return Optional.empty();
        }
        return Optional.of("this node announces " + host + " (" + where(announced) + ") to a coordinator "
                + where(coordinator) + " (" + coordinatorUrl + "), which refuses an address narrower than the one it "
                + "is reached from: peers will not fetch from this node (it still fetches and runs work); pass --host "
                + "with an address its peers can dial, or behind a NAT forward --peer-port and pass --announce "
                + "PUBLIC_HOST:PORT");
    }

    /** A reach as a volunteer reads it. */
    public static String where(Reach reach) {
        return switch (reach) {
            case LOOPBACK -> "on this machine only";
            case LINK_LOCAL -> "on this link only";
            case PRIVATE -> "on a private network";
            case GLOBAL -> "on the internet";
        };
    }
}
