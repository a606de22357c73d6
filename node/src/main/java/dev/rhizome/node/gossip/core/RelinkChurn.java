package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.function.Predicate;

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
 * <p>An honest peer reconnecting after a network blip churns one link (its last), and links at
 * once; one on a flaky path a few times a minute stays under the bound, and nodes linking from one
 * NAT (or a test network on loopback) with links that stay up churn nothing. What is counted is
 * bounded: {@link #MAX_ADDRESSES} addresses, the least recently linking forgotten first, and
 * {@link #MAX_CHURNED} + 1 links each.
 *
 * <p>Pure: time is passed in. Not thread-safe: the core's thread calls it.
 */
final class RelinkChurn {
    /** Long enough to span the longest rest ({@code AddressBackoff.MAX_MS}, 160 s), so a rest that ends finds the churn still counted. */
    static final long WINDOW_MS = 3 * 60_000;
    /** Four relinks a minute, kept up for three minutes: more than a flaky path, far fewer than a loop. */
    static final int MAX_CHURNED = 12;
    static final int MAX_ADDRESSES = 4096;

    private record Linked(PublicId peer, long atMs) {
    }

    private final Bounded<String, ArrayDeque<Linked>> addresses = new Bounded<>(MAX_ADDRESSES);

    /**
     * {@code peer} linked in from {@code address}: whether the address has churned past the bound
     * (before this link counts). {@code linkedNow} says whether a peer holds a link here now.
     */
    boolean linkedIn(String address, PublicId peer, long nowMs, Predicate<PublicId> linkedNow) {
        ArrayDeque<Linked> recent = addresses.get(address);
        if (recent == null) {
            recent = new ArrayDeque<>();
        }
        while (!recent.isEmpty() && nowMs - recent.peekFirst().atMs() >= WINDOW_MS) {
            recent.pollFirst();
        }
        int churned = 0;
        for (Iterator<Linked> it = recent.iterator(); it.hasNext(); ) {
            Linked l = it.next();
            if (l.peer().equals(peer) || !linkedNow.test(l.peer())) {
                churned++;
            }
        }
        recent.addLast(new Linked(peer, nowMs));
        while (recent.size() > MAX_CHURNED + 1) {
            recent.pollFirst();
        }
        addresses.put(address, recent);
        return churned > MAX_CHURNED - 1;
    }

    int size() {
        return addresses.size();
    }
}
