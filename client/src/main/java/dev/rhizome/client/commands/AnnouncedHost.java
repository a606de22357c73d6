package dev.rhizome.client.commands;

import dev.rhizome.node.api.AnnouncedReach;
import dev.rhizome.node.api.CoordinatorReach;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Optional;

/**
 * The address a node announces to its peers when {@code --host} is not given, and whether the one
 * it announces can be accepted. The coordinator refuses an announced host narrower than the
 * address the announcement came from (a node on the internet announcing 127.0.0.1), so a node
 * that kept a fixed default of 127.0.0.1 joined a coordinator elsewhere and served no peer, said
 * only in its log. This machine's own address on the route to the coordinator is what peers on
 * the coordinator's side can dial, short of a NAT, and it is still 127.0.0.1 for a coordinator on
 * this machine (the demo, the tests).
 */
final class AnnouncedHost {
    static final String LOOPBACK = "127.0.0.1";

    private AnnouncedHost() {
    }

    /**
     * The local address the kernel would send from to reach the coordinator: a UDP socket
     * "connected" to it picks the route and sends nothing. Loopback when there is no route or the
     * coordinator's name does not resolve (the node will say that itself when it calls).
     */
    static String towards(URI coordinator) {
        int port = coordinator.getPort() > 0 ? coordinator.getPort() : 80;
        try (DatagramSocket probe = new DatagramSocket()) {
            probe.connect(new InetSocketAddress(InetAddress.getByName(coordinator.getHost()), port));
            InetAddress local = probe.getLocalAddress();
            if (local == null || local.isAnyLocalAddress()) {
                return LOOPBACK;
            }
            String literal = local.getHostAddress();
            int zone = literal.indexOf('%');
            return zone < 0 ? literal : literal.substring(0, zone);  // a zone id is no part of what a peer dials
        } catch (IOException | UncheckedIOException | IllegalArgumentException | SecurityException e) {
            return LOOPBACK;
        }
    }

    /**
     * What to tell a volunteer whose announced host is narrower than the coordinator's reach: the
     * coordinator will refuse its announcement, so the node fetches and runs work but no peer
     * fetches from it. The node says the same in its log and in {@code node status}.
     */
    static Optional<String> narrowerThanCoordinator(String host, URI coordinator) {
        return AnnouncedReach.narrowerThanCoordinator(host, CoordinatorReach.of(coordinator), coordinator.toString())
                .map(why -> "warning: " + why);
    }
}
