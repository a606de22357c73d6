package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Addresses whose inbound links come and go in a loop. Each inbound link costs this node a whole
 * handshake (a verification of the hello, a signature of its own, a verification of the proof),
 * and a peer that relinks every second, under one key or a fresh key each time, is never charged
 * for it: a dropped link proves nothing. So, per remote address ({@link LinkEnd#address}), the
 * links that came and went are counted: at each inbound link from an address, the address's inbound
 * links of the last {@link #WINDOW_MS} whose peer is no longer linked, or is linking again now, are
 * churned. Past {@link #MAX_CHURNED} of them the address gets a rest ({@link Effect.Churning}): the
 * driver closes its new connections at accept, before any signature work, as it does for returning
 * offenders ({@code peer.AddressBackoff}, 5 s doubling to 160 s while the churn goes on).
 *
 * <p>A handshake that never finished ({@link #abandoned}: the peer took our hello, with its
 * verification and our signature, and sent no valid proof) is churn too: it never reached the core
 * as a link, and a rogue stopping there cost the node that work each time, bounded only by the
 * handshake turns. And addresses are counted by network as well ({@link #network}: an IPv4 /24, an
 * IPv6 /48, as the coordinator's rules count a site), since one party easily holds many addresses
 * of one: past {@link #MAX_NETWORK_CHURNED} churned links in a network, an address of it that
 * churns itself (its own second link or abandoned handshake in the window) rests at once, where
 * each address of a /24 churned its own 12. An address whose links stay up never rests by its
 * network's churn.
 *
 * <p>An honest peer reconnecting after a network blip churns one link (its last), and links at
 * once; one on a flaky path a few times a minute stays under the bound, and nodes linking from one
 * NAT (or a test network on loopback, or many addresses of one site) with links that stay up churn
 * nothing. What is counted is bounded: {@link #MAX_ADDRESSES} addresses and as many networks, the
 * least recently linking forgotten first, and {@link #MAX_CHURNED} + 1 links each
 * ({@link #MAX_NETWORK_CHURNED} + 1 a network).
 *
 * <p>Pure: time is passed in. Not thread-safe: the core's thread calls it.
 */
final class RelinkChurn {
    /** Long enough to span the longest rest ({@code AddressBackoff.MAX_MS}, 160 s), so a rest that ends finds the churn still counted. */
    static final long WINDOW_MS = 3 * 60_000;
    /** Four relinks a minute, kept up for three minutes: more than a flaky path, far fewer than a loop. */
    static final int MAX_CHURNED = 12;
    /** Three addresses' worth: a few flaky paths in one site stay under it, a rogue's many addresses do not. */
    static final int MAX_NETWORK_CHURNED = 3 * MAX_CHURNED;
    static final int MAX_ADDRESSES = 4096;
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    /** A link in from an address, or a handshake abandoned there ({@code peer} null: churned whatever links now). */
    private record Linked(PublicId peer, long atMs) {
    }

    private final Bounded<String, ArrayDeque<Linked>> addresses = new Bounded<>(MAX_ADDRESSES);
    private final Bounded<String, ArrayDeque<Linked>> networks = new Bounded<>(MAX_ADDRESSES);

    /**
     * {@code peer} linked in from {@code address}: whether the address has churned past the bound, or
     * churns in a network past its bound (before this link counts). {@code linkedNow} says whether a
     * peer holds a link here now.
     */
    boolean linkedIn(String address, PublicId peer, long nowMs, Predicate<PublicId> linkedNow) {
        return counted(address, peer, nowMs, linkedNow);
    }

    /**
     * An inbound handshake from {@code address} ended before its link was up, after we answered the
     * hello (no proof, or one that did not verify): whether the address now rests, as {@link #linkedIn}.
     */
    boolean abandoned(String address, long nowMs) {
        return counted(address, null, nowMs, p -> false);
    }

    private boolean counted(String address, PublicId peer, long nowMs, Predicate<PublicId> linkedNow) {
        int byAddress = churned(addresses, address, MAX_CHURNED, peer, nowMs, linkedNow);
        int byNetwork = churned(networks, network(address), MAX_NETWORK_CHURNED, peer, nowMs, linkedNow);
        // This one counts too when it is abandoned: it churned whatever came before it.
        boolean churnsItself = byAddress > 0 || peer == null;
        return byAddress > MAX_CHURNED - 1 || (byNetwork > MAX_NETWORK_CHURNED - 1 && churnsItself);
    }

    /** How many of {@code key}'s links in the window churned, before this one (then counted, the oldest past {@code bound} + 1 dropped). */
    private static int churned(Bounded<String, ArrayDeque<Linked>> counts, String key, int bound, PublicId peer, long nowMs,
                               Predicate<PublicId> linkedNow) {
        ArrayDeque<Linked> recent = counts.get(key);
        if (recent == null) {
            recent = new ArrayDeque<>();
        }
        while (!recent.isEmpty() && nowMs - recent.peekFirst().atMs() >= WINDOW_MS) {
            recent.pollFirst();
        }
        int churned = 0;
        for (Iterator<Linked> it = recent.iterator(); it.hasNext(); ) {
            Linked l = it.next();
            if (l.peer() == null || l.peer().equals(peer) || !linkedNow.test(l.peer())) {
                churned++;
            }
        }
        recent.addLast(new Linked(peer, nowMs));
        while (recent.size() > bound + 1) {
            recent.pollFirst();
        }
        counts.put(key, recent);
        return churned;
    }

    /**
     * The network an address (as the driver keys it, {@link LinkEnd#address}) is in, as the
     * coordinator counts a site ({@code AddressScope.network}): an IPv4 address by its /24, an IPv6
     * /64 by its /48; any other key (the core tests' {@code loopback}) is its own.
     */
    static String network(String address) {
        if (address.startsWith("v6:") && address.length() >= 15) {
            return address.substring(0, 15) + "::/48";
        }
        if (IPV4.matcher(address).matches()) {
            return address.substring(0, address.lastIndexOf('.')) + ".0/24";
        }
        return address;
    }


    int size() {
        return addresses.size();
    }
}
