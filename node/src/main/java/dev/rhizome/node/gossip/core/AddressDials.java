package dev.rhizome.node.gossip.core;

import dev.rhizome.proto.v1.NodeInfo;
import dev.rhizome.protocol.PeerAddress;
import dev.rhizome.protocol.identity.PublicId;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Outbound dials counted by the address they go to, across node ids. Node ids cost nothing to make
 * and a signed NodeInfo may name any address: a rogue that signs hundreds of made-up nodes all
 * pointing at one victim's address had every node that learnt them dial the victim once per id
 * (the peer table's backoff is per id), a reflector with the network as its amplifier. Here, per
 * address (host and port): one dial in flight at most, none sooner than {@link GossipConfig#redialBase}
 * after the last, and the backoff after a failure is the address's, whatever id the next dial
 * names; per host (any port; a host name by its domain, whose owner makes names under it without
 * end, all resolving to one victim): at most {@link #MAX_IN_FLIGHT_PER_HOST} dials in flight, and after
 * {@link #HOST_FAILURES_BEFORE_BACKOFF} failures in a row with no success between, the host backs
 * off as a whole (a victim named on many ports). An id whose dial reached the address and proved
 * its key there is the address's owner: other ids naming that address are not dialled until a
 * dial of the owner fails (it moved, or changed its key). Pure, on the core's time.
 */
final class AddressDials {
    /** Dials in flight to one host at once: nodes behind one NAT, or a test network on loopback, share a host. */
    static final int MAX_IN_FLIGHT_PER_HOST = 4;
    /** Failures in a row at a host (any port) before the host backs off as a whole; one dead node of several there is no reason. */
    static final int HOST_FAILURES_BEFORE_BACKOFF = 3;
    /** Addresses and hosts remembered at most (each), the least recently used forgotten first. */
    static final int MAX_TRACKED = 1024;

    private static final class State {
        int inFlight;
        int failures;
        long nextMs;
        /** The id that last proved its key at this address (addresses only). */
        PublicId owner;
    }

    /**
     * How a dial ended: the peer proved its key there, the dial failed, the peer proved its key only
     * after the dial had given up its slot and was turned away ({@link Dialer#takesLateLink}), or we
     * will never know (an inbound link won, we gave up).
     */
    enum Outcome { CONNECTED, FAILED, TURNED_AWAY, UNKNOWN }

    private final GossipConfig config;
    private final Bounded<String, State> addresses = new Bounded<>(MAX_TRACKED);
    private final Bounded<String, State> hosts = new Bounded<>(MAX_TRACKED);
    /** The address each dial in flight went to (the table's entry may change meanwhile); at most the degree's worth. */
    private final Map<PublicId, NodeInfo> inFlight = new HashMap<>();

    AddressDials(GossipConfig config) {
        this.config = config;
    }

    static String address(NodeInfo info) {
        return PeerAddress.canonicalHost(info.getHost()) + "|" + info.getPort();
    }

    /** The host as the per-host bounds count it ({@link PeerAddress#hostGroup}: a name by its domain). */
    private static String host(NodeInfo info) {
        return PeerAddress.hostGroup(info.getHost());
    }

    /** Whether {@code id} may be dialled at {@code info}'s address now. */
    boolean mayDial(PublicId id, NodeInfo info, long nowMs) {
        State a = addresses.get(address(info));
        if (a != null && (a.inFlight > 0 || nowMs < a.nextMs || (a.owner != null && !a.owner.equals(id)))) {
            return false;
        }
        State h = hosts.get(host(info));
        return h == null || (h.inFlight < MAX_IN_FLIGHT_PER_HOST
                && (h.failures < HOST_FAILURES_BEFORE_BACKOFF || nowMs >= h.nextMs));
    }

    /** True while dials to {@code info}'s host keep failing (the host is backed off as a whole). */
    boolean hostFailing(NodeInfo info) {
        State h = hosts.get(host(info));
        return h != null && h.failures >= HOST_FAILURES_BEFORE_BACKOFF;
    }

    /** The id that proved its key at {@code info}'s address, or null. */
    PublicId owner(NodeInfo info) {
        State a = addresses.get(address(info));
        return a == null ? null : a.owner;
    }

    void started(PublicId id, NodeInfo info, long nowMs) {
        ended(id, Outcome.UNKNOWN, nowMs, null); // a dial of the same id still counted (never, but cheap to be sure)
        State a = state(addresses, address(info));
        a.inFlight++;
        a.nextMs = Math.max(a.nextMs, nowMs + config.redialBase().toMillis());
        state(hosts, host(info)).inFlight++;
        inFlight.put(id, info);
    }

    /** The dial of {@code id} ended; nothing happens when none was in flight. */
    void ended(PublicId id, Outcome outcome, long nowMs, Random random) {
        NodeInfo info = inFlight.remove(id);
        if (info == null) {
            return;
        }
        State a = state(addresses, address(info));
        State h = state(hosts, host(info));
        a.inFlight = Math.max(0, a.inFlight - 1);
        h.inFlight = Math.max(0, h.inFlight - 1);
        switch (outcome) {
            case CONNECTED -> {
                a.failures = 0;
                a.owner = id;
                h.failures = 0;
            }
            case FAILED -> {
                a.failures = Math.min(a.failures + 1, 30);
                a.nextMs = Math.max(a.nextMs, nowMs + backoff(a.failures, random));
                if (id.equals(a.owner)) {
                    a.owner = null; // gone, moved or a new key: the address is anyone's again
                }
                h.failures = Math.min(h.failures + 1, 30);
                if (h.failures >= HOST_FAILURES_BEFORE_BACKOFF) {
                    h.nextMs = nowMs + backoff(h.failures - HOST_FAILURES_BEFORE_BACKOFF + 1, random);
                }
            }
            case TURNED_AWAY -> {
                // Paced as a failure, and no ownership won: an address that answers only after its
                // dial gave up its slot (a rogue answering late on purpose) had its failures cleared
                // and its key recorded as the owner's each time, so it was dialled again at the
                // base pace, each dial a handshake spent and a dial in flight held to its answer,
                // and its table entry was kept from eviction as a proven one. The host is up: its
                // count is left as it was.
                a.failures = Math.min(a.failures + 1, 30);
                a.nextMs = Math.max(a.nextMs, nowMs + backoff(a.failures, random));
            }
            case UNKNOWN -> { }
        }
    }

    /**
     * The dial of {@code id} reached its address and {@code answerer} proved its key there: the
     * address's owner now. Where {@code id} was the owner already (it had proven its key there), the
     * address changed its key under us: paced as a failed dial, doubling while it keeps doing so. A
     * rogue answering each dial under a fresh key, and telling of that key's record so it is dialled
     * next, had its address dialled at the base pace for ever, a handshake each and never a link; an
     * honest node whose key was reset pays one base wait. Made-up ids naming a live node's address
     * (never the owner) still cost it nothing.
     */
    void answeredByAnother(PublicId id, PublicId answerer, long nowMs, Random random) {
        NodeInfo info = inFlight.get(id);
        if (info == null) {
            return;
        }
        ended(id, Outcome.UNKNOWN, nowMs, random);
        State a = state(addresses, address(info));
        if (id.equals(a.owner)) {
            a.failures = Math.min(a.failures + 1, 30);
            a.nextMs = Math.max(a.nextMs, nowMs + backoff(a.failures, random));
        } else {
            a.failures = 0;
            state(hosts, host(info)).failures = 0;
        }
        a.owner = answerer;
    }

    int inFlight() {
        return inFlight.size();
    }

    /** The peer table's exponential backoff with jitter, kept here per address. */
    private long backoff(int failures, Random random) {
        long base = config.redialBase().toMillis();
        long delay = Math.min(config.redialMax().toMillis(), base << Math.min(failures - 1, 20));
        return delay / 2 + (long) ((random == null ? 0.5 : random.nextDouble()) * (delay / 2.0));
    }

    private static State state(Bounded<String, State> map, String key) {
        State s = map.get(key);
        if (s == null) {
            s = new State();
            map.put(key, s);
        }
        return s;
    }
}
