package dev.rhizome.coordinator.core;

import java.time.Duration;
import java.util.Collection;

/**
 * Replicas of one trial from distinct networks. Keys are free: one person running two keys on one
 * machine could take both replicas of a trial and confirm a metric of their own invention, so
 * distinct keys alone prove nothing. The coordinator sees where each claim comes from (the
 * request's source address, or the one a trusted proxy names), which the claimant cannot choose
 * as freely; a claimant is kept off a trial for {@link #HOLD} after a lease of that trial was taken
 * from its network, so the replica goes to another network when one is around, and to anyone once
 * the hold has passed, so that volunteers behind one NAT still finish trials when nobody else is.
 * (Where no node was seen lately from another network at all, the claim service does not hold
 * the claimant back: nobody else could take the replica, and waiting would only delay it.)
 *
 * <p>The hold counts from the network's latest lease of the trial, not from the unit's age: when
 * the queue is backed up, every unit at its head has waited longer than any hold, and a hold by
 * age would let one network take both replicas exactly when the network is busiest.
 *
 * <p>What a network is ({@link #of}): a public address's /24 (IPv6: /48, {@link AddressScope#network});
 * one not routed on the internet ({@link dev.rhizome.protocol.PeerAddress#reach}, the rule nodes
 * apply to peers' addresses: RFC 1918, CGNAT's 100.64.0.0/10, link-local, documentation ranges,
 * IPv6 fc00::/7 and fe80::/10) whole (IPv6: its /64), so the machines of one lab's LAN still count
 * as distinct; none ("") for
 * loopback, which is the coordinator's own machine (the demo and the test networks run every node
 * there), and for an unknown origin. A claimant with no network is never held back.
 */
public final class ReplicaNetworks {
    /** How long a network is kept off a trial after it leased one of the trial's replicas. */
    public static final Duration HOLD = SpotChecks.HOLD;

    private ReplicaNetworks() {
    }

    /** A lease of a trial taken from {@code network} at {@code leasedMs}. */
    public record Lease(String network, long leasedMs) {
    }

    /** The network replicas are told apart by, from an address scope ({@link AddressScope#of}); "" for none. */
    public static String of(String origin) {
        if (origin.isEmpty()) {
            return "";
        }
        return switch (AddressScope.reach(origin)) {
            case LOOPBACK -> "";
            case LINK_LOCAL, PRIVATE -> origin;
            case GLOBAL -> AddressScope.network(origin);
        };
    }

    /** Leases taken after this moment still keep their network off the trial. */
    public static long heldAfter(long nowMs) {
        return Saturating.minus(nowMs, HOLD.toMillis());
    }

    /**
     * Whether a claimant from {@code network} may take a replica of a trial, given the leases
     * of that trial taken from any network (current or past, reported or not).
     */
    public static boolean mayTake(String network, Collection<Lease> trialLeases, long nowMs) {
        if (network.isEmpty()) {
            return true;
        }
        long after = heldAfter(nowMs);
        for (Lease lease : trialLeases) {
            if (lease.network().equals(network) && lease.leasedMs() > after) {
                return false;
            }
        }
        return true;
    }
}
