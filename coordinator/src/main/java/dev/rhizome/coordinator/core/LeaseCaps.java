package dev.rhizome.coordinator.core;

import java.util.Optional;

/**
 * How many leases one address and one network may hold at once. Keys are free and a claim needs no
 * announcement, so the per-key bound alone let one host with fresh keys lease every open unit and
 * hold them until they ran out, again and again, while honest runners found nothing to do. The
 * address (an IPv6 /64 as one, {@link AddressScope#of}) and the network (an IPv4 /24, an IPv6 /48,
 * {@link AddressScope#network}) are the client's as the daily write limits count it: behind a
 * listed proxy, the forwarded client's. The defaults are far above a NAT of a few volunteers (each
 * key holds at most {@code maxLeasesPerNode}, 8 by default). Pure: the counts come from the store,
 * the claim answers the refusal as "no unit" with a retry hint, like every other empty claim.
 */
public final class LeaseCaps {
    /** An empty claim's wait: leases end as jobs finish, or at the latest when they run out. */
    public static final int RETRY_S = ClaimPolicy.RETRY_LEASES_FULL_S;

    private LeaseCaps() {
    }

    /** The bounds; 0 means no bound at that scope. */
    public record Limits(int perAddress, int perNetwork) {
        public Limits {
            if (perAddress < 0 || perNetwork < 0) {
                throw new IllegalArgumentException("leases held at once must not be negative (0: no bound)");
            }
        }

        /** Eight keys at their full 8 leases per address; 32 per network. */
        public static Limits defaults() {
            return new Limits(64, 256);
        }

        public static Limits none() {
            return new Limits(0, 0);
        }

        public boolean any() {
            return perAddress > 0 || perNetwork > 0;
        }

        /**
         * These bounds raised to at least {@code leases} each (a bound left off stays off): what a
         * bench or demo whose simulated nodes all claim from one address (loopback) sets, so that
         * it counts as the defaults do without being refused by its own load.
         */
        public Limits atLeast(int leases) {
            return new Limits(perAddress == 0 ? 0 : Math.max(perAddress, leases),
                    perNetwork == 0 ? 0 : Math.max(perNetwork, leases));
        }
    }

    /** The LEASED units claimed from the claimant's address and from its network, before this claim. */
    public record Held(int byAddress, int byNetwork) {
    }

    /** Which bound a claim met; {@code label} is the metric's reason. */
    public enum Scope {
        ADDRESS("leases_per_address"), NETWORK("leases_per_network");

        private final String label;

        Scope(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public record Refusal(Scope scope, String reason) {
    }

    /**
     * Why one more lease from this origin is refused now, or empty when it may be taken. The
     * narrower scope reached is named, with the count and the bound.
     *
     * @param address the claimant's address scope ({@link AddressScope#of}); "" (no address) is never held back
     */
    public static Optional<Refusal> refusal(Limits limits, Held held, String address) {
        if (address.isEmpty()) {
            return Optional.empty();
        }
        if (limits.perAddress() > 0 && held.byAddress() >= limits.perAddress()) {
            return Optional.of(new Refusal(Scope.ADDRESS, "this address (" + address + ") already holds "
                    + held.byAddress() + " leases, at most " + limits.perAddress() + " at once (leases_held.per_address "
                    + "in the coordinator's config): claim again once some of them end"));
        }
        if (limits.perNetwork() > 0 && held.byNetwork() >= limits.perNetwork()) {
            return Optional.of(new Refusal(Scope.NETWORK, "this network (" + AddressScope.network(address)
                    + ") already holds " + held.byNetwork() + " leases, at most " + limits.perNetwork()
                    + " at once (leases_held.per_network in the coordinator's config): claim again once some of them end"));
        }
        return Optional.empty();
    }

    /**
     * Whether {@code claims} more leases from this origin, taken at once, would pass no bound: the
     * counts are at least that far below every bound set. A claim that read them so while at most
     * {@code claims - 1} others of its network run beside it (each leasing one unit at most)
     * cannot, with them, pass a bound; nearer the bounds the network's claims run one at a time.
     */
    public static boolean roomForAll(Limits limits, Held held, int claims) {
        return (limits.perAddress() == 0 || (long) held.byAddress() + claims <= limits.perAddress())
                && (limits.perNetwork() == 0 || (long) held.byNetwork() + claims <= limits.perNetwork());
    }
}
