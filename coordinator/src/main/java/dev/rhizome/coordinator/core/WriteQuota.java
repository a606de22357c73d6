package dev.rhizome.coordinator.core;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * How much one key, one address and everyone together may add to the database in a UTC day, per
 * kind of record, after the lease quota ({@link Reputation#quotaRefusal}). Every write route that
 * grows the database is counted here or is bounded by what is: a result needs a lease, a lease an
 * open unit, a unit an experiment or an exploration. Keys are free, so the per-key bound alone only
 * slows an attacker down; the per-address bound (an IPv6 /64 counts as one address,
 * {@link AddressScope}) makes new keys cost new addresses, the per-network share (an IPv4 /24, an
 * IPv6 /48) makes the day's total cost several networks, and the total bounds the day's growth
 * whatever both cost. The defaults are far above honest use (an agent proposing a few hundred
 * experiments a day, a node reporting its results) and operators may change each one. Pure: the
 * counts come from the store, the caller refuses.
 */
public final class WriteQuota {
    /** What is counted. {@code configName} is the key in the coordinator's config file and in refusals. */
    public enum Kind {
        SEEDS("seeds", "seed"),
        DIRECTIONS("directions", "direction"),
        EXPERIMENTS("experiments", "experiment"),
        PAPERS("papers", "paper"),
        /** EXPLORE units, made by claims (each a new unit row). */
        EXPLORATIONS("explorations", "exploration"),
        /** Announcements from a key the coordinator had not seen announce (each a new node row). */
        NEW_NODES("new_nodes", "new node"),
        /**
         * Leases handed out by claims, of either kind. Per address and network only: a key's own
         * day is its reputation's quota, and keys are free, so without this one address with
         * fresh keys took 200 leases per key a day, each expiry spending an attempt of some
         * experiment's unit and each result a row. A lease given back unanswered is taken back.
         */
        LEASES("leases", "lease");

        private final String configName;
        private final String noun;

        Kind(String configName, String noun) {
            this.configName = configName;
            this.noun = noun;
        }

        public String configName() {
            return configName;
        }

        public static Optional<Kind> named(String name) {
            for (Kind k : values()) {
                if (k.configName.equals(name)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * One kind's daily bounds; 0 means no bound at that scope. {@code perNetwork} bounds one network
     * ({@link AddressScope#network}: an IPv4 /24, an IPv6 /48) as a share of the total: addresses
     * within one network are cheap to come by, so without it one provider's block could take the
     * whole day's total and lock every honest writer out.
     */
    public record Limit(int perKey, int perAddress, int total, int perNetwork) {
        public Limit {
            if (perKey < 0 || perAddress < 0 || total < 0 || perNetwork < 0) {
                throw new IllegalArgumentException("daily write limits must not be negative (0: no bound)");
            }
        }

        /** Without a bound per network. */
        public Limit(int perKey, int perAddress, int total) {
            this(perKey, perAddress, total, 0);
        }

        boolean none() {
            return perKey == 0 && perAddress == 0 && total == 0 && perNetwork == 0;
        }
    }

    /** Today's counts before this write: the signer's, its address's, everyone's and its network's. */
    public record Counts(int byKey, int byAddress, int total, int byNetwork) {
        public Counts(int byKey, int byAddress, int total) {
            this(byKey, byAddress, total, 0);
        }
    }

    /** Every kind's bounds. */
    public record Limits(Map<Kind, Limit> byKind) {
        public Limits {
            byKind = Map.copyOf(byKind);
            for (Kind k : Kind.values()) {
                if (!byKind.containsKey(k)) {
                    throw new IllegalArgumentException("no daily write limit for " + k.configName());
                }
            }
        }

        /**
         * Honest use is far below each: an agent proposes a few hundred experiments a day, a node
         * explores a few hundred times; an address may hold a NAT full of nodes. A new node is a
         * key first announcing (a node announces every 10 s under one key for its whole life).
         */
        public static Limits defaults() {
            Map<Kind, Limit> m = new EnumMap<>(Kind.class);
            // A network's share is a fifth of the total at most: locking everyone out of a kind for
            // the day takes five networks (/24 or /48), not one block of addresses.
            m.put(Kind.SEEDS, new Limit(50, 200, 1_000, 200));
            m.put(Kind.DIRECTIONS, new Limit(100, 500, 5_000, 1_000));
            m.put(Kind.EXPERIMENTS, new Limit(2_000, 10_000, 500_000, 100_000));
            m.put(Kind.PAPERS, new Limit(2_000, 10_000, 100_000, 20_000));
            m.put(Kind.EXPLORATIONS, new Limit(2_000, 20_000, 500_000, 100_000));
            m.put(Kind.NEW_NODES, new Limit(0, 1_000, 100_000, 20_000));
            // An address holds at most 64 leases at once (core.LeaseCaps): at 5-minute jobs, a NAT
            // full of honest runners at that cap takes 18,432 a day; its network (256 at once) 73,728.
            // No total: a day's cap on everyone's leases would let a few networks lock every honest
            // runner out of work, and its one row would be written by every claim (on PostgreSQL,
            // held from that write to the claim's commit by every coordinator).
            m.put(Kind.LEASES, new Limit(0, 20_000, 0, 100_000));
            return new Limits(m);
        }

        /** No bound at all: for benchmarks that load one coordinator from one key and one address. */
        public static Limits none() {
            Map<Kind, Limit> m = new EnumMap<>(Kind.class);
            for (Kind k : Kind.values()) {
                m.put(k, new Limit(0, 0, 0));
            }
            return new Limits(m);
        }

        public Limit of(Kind kind) {
            return byKind.get(kind);
        }

        public Limits with(Kind kind, Limit limit) {
            Map<Kind, Limit> m = new EnumMap<>(byKind);
            m.put(kind, limit);
            return new Limits(m);
        }
    }

    private WriteQuota() {
    }

    /**
     * Why one more write of this kind is refused today, or empty when it is allowed. The narrowest
     * scope reached is named, with the count, the bound and when the day ends.
     *
     * @param hasAddress whether the request came with an address (a write from inside the coordinator has none)
     */
    public static Optional<String> refusal(Kind kind, Limit limit, Counts counts, boolean hasAddress, long nowMs) {
        String scope;
        int count;
        int bound;
        if (limit.perKey() > 0 && counts.byKey() >= limit.perKey()) {
            scope = "this key";
            count = counts.byKey();
            bound = limit.perKey();
        } else if (hasAddress && limit.perAddress() > 0 && counts.byAddress() >= limit.perAddress()) {
            scope = "this address (an IPv6 /64 counts as one)";
            count = counts.byAddress();
            bound = limit.perAddress();
        } else if (hasAddress && limit.perNetwork() > 0 && counts.byNetwork() >= limit.perNetwork()) {
            scope = "this network (an IPv4 /24 or IPv6 /48 counts as one)";
            count = counts.byNetwork();
            bound = limit.perNetwork();
        } else if (limit.total() > 0 && counts.total() >= limit.total()) {
            scope = "this coordinator (all keys together)";
            count = counts.total();
            bound = limit.total();
        } else {
            return Optional.empty();
        }
        return Optional.of("daily " + kind.configName() + " limit reached: " + scope + " already added " + count + " "
                + kind.noun + (count == 1 ? "" : "s") + " today, at most " + bound + " a day (daily_write_limits."
                + kind.configName() + " in the coordinator's config); it resets at "
                + (Reputation.dayStart(nowMs) + Reputation.DAY_MS) + " ms (00:00 UTC)");
    }
}
