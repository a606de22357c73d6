package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads kept across transactions, valid only where one process owns the database: the SQLite
 * store, whose committer thread runs every transaction (and is the only thread that touches this).
 * Every claim and result re-read the same few rows (the directions with their frontier, closures,
 * the runner's reputation, a commit's experiment, a unit's random seed); each read is a statement
 * on the committer and some parse a signed envelope. A PostgreSQL store is shared by several
 * coordinators, so it gets {@link #none()}, which remembers nothing.
 *
 * <p>The rules that keep these right, enforced by {@link SqliteTransaction}: a transaction that
 * writes an entry drops it here and, until it ends, neither reads it from here nor puts it back
 * (its write may still be rolled back to its savepoint); anything read from the database by a
 * transaction that did not write it is committed data or data released by an earlier caller of
 * the same group commit, which commits with it; and when a group commit fails, {@link #clear()}
 * forgets everything. Entries that can only be added (experiments, random seeds) are kept only
 * when present. Maps are bounded: the least recently used entries go first.
 */
final class OwnedReads {
    private static final int KEYS = 4096;

    final Slot<Directions> directions;
    final Slot<Map<String, String>> closures;
    final Keyed<String, Stored<Experiment>> experiments;
    final Keyed<String, Long> unitRandomSeeds;
    final Keyed<ByteString, Optional<Reputation>> reputations;
    final Keyed<ByteString, ProposerThrottle.Record> proposers;
    final Keyed<String, List<Trials.Entry>> resultEntries;
    final Keyed<String, List<PeerEndpoint>> peers;
    /**
     * Every LEASED unit's row: leases held, whether any expired (every claim asks), and the unit a
     * result reports on (almost always leased to its runner), without a read.
     */
    final LeasedUnits leasedUnits;
    /** Per key, the leases handed to it since the start of a quota day (every claim counts them too). */
    final Keyed<ByteString, LeaseCount> leasesSince;
    /** The latest deadline of any unit reservation (spot checks'): a claim tests reservations only before it. */
    final Slot<Long> reservedUntil;
    private final boolean enabled;

    private OwnedReads(boolean enabled) {
        this.enabled = enabled;
        int keys = enabled ? KEYS : 0;
        directions = new Slot<>(enabled);
        closures = new Slot<>(enabled);
        experiments = new Keyed<>(keys);
        unitRandomSeeds = new Keyed<>(keys);
        reputations = new Keyed<>(keys);
        proposers = new Keyed<>(keys);
        resultEntries = new Keyed<>(keys);
        peers = new Keyed<>(keys);
        leasedUnits = new LeasedUnits();
        leasesSince = new Keyed<>(keys);
        reservedUntil = new Slot<>(enabled);
    }

    /** For a store that one process owns. */
    static OwnedReads owned() {
        return new OwnedReads(true);
    }

    private static final OwnedReads NONE = new OwnedReads(false);

    /** For a shared store: nothing is remembered (so one instance serves every thread). */
    static OwnedReads none() {
        return NONE;
    }

    boolean enabled() {
        return enabled;
    }

    /** After a failed commit: what was read during it may not be durable. */
    void clear() {
        directions.clear();
        closures.clear();
        experiments.clear();
        unitRandomSeeds.clear();
        reputations.clear();
        proposers.clear();
        resultEntries.clear();
        peers.clear();
        leasedUnits.clear();
        leasesSince.clear();
        reservedUntil.clear();
    }

    /** Every direction, in the order opened, and by name. */
    record Directions(List<DirectionRecord> inOrder, Map<String, DirectionRecord> byName) {
        static Directions of(List<DirectionRecord> inOrder) {
            Map<String, DirectionRecord> byName = new java.util.HashMap<>();
            inOrder.forEach(d -> byName.put(d.name(), d));
            return new Directions(List.copyOf(inOrder), byName);
        }
    }

    /** Leases handed to one key at or after {@code sinceMs} (the start of a quota day). */
    record LeaseCount(long sinceMs, int count) {
    }

    /** A LEASED unit, its row as committed (or released by an earlier caller of the group). */
    record Lease(dev.rhizome.coordinator.core.UnitRecord unit) {
        ByteString holder() {
            return unit.holder();
        }

        long deadlineMs() {
            return unit.leaseDeadlineMs();
        }
    }

    /**
     * Every LEASED unit's holder and deadline, with how many each key holds and the deadlines in
     * order: loaded whole (leased units are few: each key holds a bounded number) and then kept by
     * writing each unit's new state here. A unit's lease is set, not counted up, so writing the
     * same state twice is harmless.
     */
    static final class LeasedUnits {
        private Map<String, Lease> leases;
        private final Map<ByteString, Integer> counts = new java.util.HashMap<>();
        /** Leased units by deadline: the expiry check asks only whether the first one has passed. */
        private final java.util.TreeMap<Long, Integer> deadlines = new java.util.TreeMap<>();

        boolean loaded() {
            return leases != null;
        }

        void load(Map<String, Lease> leased) {
            leases = new java.util.HashMap<>();
            counts.clear();
            deadlines.clear();
            leased.forEach(this::set);
        }

        /** The unit's lease if it is LEASED, else null. */
        Lease lease(String unitId) {
            return leases.get(unitId);
        }

        int heldBy(ByteString node) {
            return counts.getOrDefault(node, 0);
        }

        /** Whether some leased unit's deadline is before {@code nowMs}. */
        boolean anyDeadlineBefore(long nowMs) {
            return !deadlines.isEmpty() && deadlines.firstKey() < nowMs;
        }

        /** The unit is now leased as {@code lease}, or not leased when it is null. */
        void set(String unitId, Lease lease) {
            if (leases == null) {
                return;  // not loaded: the next load reads it from the database
            }
            Lease before = lease == null ? leases.remove(unitId) : leases.put(unitId, lease);
            if (before != null) {
                counts.computeIfPresent(before.holder(), (k, n) -> n <= 1 ? null : n - 1);
                deadlines.computeIfPresent(before.deadlineMs(), (k, n) -> n <= 1 ? null : n - 1);
            }
            if (lease != null) {
                counts.merge(lease.holder(), 1, Integer::sum);
                deadlines.merge(lease.deadlineMs(), 1, Integer::sum);
            }
        }

        void clear() {
            leases = null;
            counts.clear();
            deadlines.clear();
        }
    }

    /** One remembered value (the whole table, for small tables). */
    static final class Slot<V> {
        private final boolean enabled;
        private V value;

        Slot(boolean enabled) {
            this.enabled = enabled;
        }

        V get() {
            return value;
        }

        void put(V v) {
            if (enabled) {
                value = v;
            }
        }

        void clear() {
            value = null;
        }
    }

    /** Remembered values by key, the least recently used dropped past the bound. */
    static final class Keyed<K, V> {
        private final int capacity;
        private final LinkedHashMap<K, V> map;

        Keyed(int capacity) {
            this.capacity = capacity;
            this.map = new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                    return size() > Keyed.this.capacity;
                }
            };
        }

        V get(K key) {
            return capacity == 0 ? null : map.get(key);
        }

        void put(K key, V value) {
            if (capacity > 0) {
                map.put(key, value);
            }
        }

        void remove(K key) {
            map.remove(key);
        }

        void clear() {
            map.clear();
        }
    }
}
