package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.AddressScope;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.PeerEndpoint;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads kept across transactions, valid only where one process owns the database: the SQLite
 * store, whose committer thread runs every transaction (and is the only thread that touches this).
 * Every claim and result re-read the same few rows (the directions with their frontier, closures,
 * the runner's reputation, a commit's experiment, a unit's random seed); each read is a statement
 * on the committer and some parse a signed envelope. A PostgreSQL store is shared by several
 * coordinators, so it gets {@link #none()}, which remembers nothing.
 *
 * <p>The rules that keep these right, enforced by the JDBC transaction
 * ({@link TransactionScope#through}, {@link UnitWrites}): a transaction that writes an entry drops it here
 * and, until it ends, neither reads it from here nor puts it back (its write may still be rolled
 * back to its savepoint); anything read from the database by a transaction that did not write it is
 * committed data or data released by an earlier caller of the same group commit, which commits with
 * it; and when a group commit fails, {@link #clear()} forgets everything. Entries that can only be
 * added (experiments, random seeds) are kept only when present. Maps are bounded: the least
 * recently used entries go first.
 */
final class OwnedReads {
    /**
     * A sequence number not known without a read. Not -1: a unit queued ahead
     * ({@link Units#insertUnitAhead}) has a negative one.
     */
    static final long UNKNOWN_SEQ = Long.MIN_VALUE;

    private static final int KEYS = 4096;

    final Slot<Directions> directions;
    final Slot<Map<String, String>> closures;
    final Keyed<String, Stored<Experiment>> experiments;
    final Keyed<String, Long> unitRandomSeeds;
    final Keyed<ByteString, Optional<Reputation>> reputations;
    final Keyed<ByteString, ProposerThrottle.Record> proposers;
    final Keyed<String, List<Trials.Entry>> resultEntries;
    /**
     * Per commit, its leases taken from a network (core.ReplicaNetworks), for the claim page's
     * "your network leased this trial lately" test: a claim from a network looks at the commit of
     * each unit it passes, so the commits at the head of the queue are read once, not per claim.
     */
    final Keyed<String, List<NetworkLease>> networkLeases;
    /**
     * Per commit, the network its experiment was registered from ("" for none, or no experiment):
     * the claim page keeps that network off the commit's trials, so it is looked up for each unit
     * a claim from a network passes.
     */
    final Keyed<String, String> experimentNetworks;
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
    /**
     * Every OPEN EVALUATE unit's row in claim order: a claim's page is a walk over these instead
     * of a query (see {@link OpenUnits}).
     */
    final OpenUnits openUnits;
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
        networkLeases = new Keyed<>(keys);
        experimentNetworks = new Keyed<>(keys);
        peers = new Keyed<>(keys);
        leasedUnits = new LeasedUnits();
        leasesSince = new Keyed<>(keys);
        reservedUntil = new Slot<>(enabled);
        openUnits = new OpenUnits();
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
        networkLeases.clear();
        experimentNetworks.clear();
        peers.clear();
        leasedUnits.clear();
        leasesSince.clear();
        reservedUntil.clear();
        openUnits.clear();
    }

    /** Every direction, in the order opened, and by name. */
    record Directions(List<DirectionRecord> inOrder, Map<String, DirectionRecord> byName) {
        static Directions of(List<DirectionRecord> inOrder) {
            Map<String, DirectionRecord> byName = new HashMap<>();
            inOrder.forEach(d -> byName.put(d.name(), d));
            return new Directions(List.copyOf(inOrder), byName);
        }
    }

    /** A lease of a commit's unit at {@code randomSeed} (null: the unit has none), taken from a network. */
    record NetworkLease(Long randomSeed, ReplicaNetworks.Lease lease) {
    }

    /** Leases handed to one key at or after {@code sinceMs} (the start of a quota day). */
    record LeaseCount(long sinceMs, int count) {
    }

    /**
     * A LEASED unit, its row as committed (or released by an earlier caller of the group), and its
     * sequence number ({@link #UNKNOWN_SEQ} when not known: only needed when it goes back to the open queue),
     * and the address it was claimed from ("" when none or not known).
     */
    record Lease(UnitRecord unit, long seq, String address) {
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
        private final Map<ByteString, Integer> counts = new HashMap<>();
        /** Each key's leased units, for the claim page's "holds a replica of this trial" test. */
        private final Map<ByteString, Set<String>> byHolder = new HashMap<>();
        /** Leased units by deadline: the expiry check asks only whether the first one has passed. */
        private final TreeMap<Long, Integer> deadlines = new TreeMap<>();
        /** How many each address and each network (AddressScope) holds, for the claim's caps. */
        private final Map<String, Integer> byAddress = new HashMap<>();
        private final Map<String, Integer> byNetwork = new HashMap<>();

        boolean loaded() {
            return leases != null;
        }

        void load(Map<String, Lease> leased) {
            leases = new HashMap<>();
            counts.clear();
            byHolder.clear();
            deadlines.clear();
            byAddress.clear();
            byNetwork.clear();
            leased.forEach(this::set);
        }

        /** The unit's lease if it is LEASED, else null. */
        Lease lease(String unitId) {
            return leases.get(unitId);
        }

        int heldBy(ByteString node) {
            return counts.getOrDefault(node, 0);
        }

        int heldFromAddress(String address) {
            return byAddress.getOrDefault(address, 0);
        }

        int heldFromNetwork(String network) {
            return byNetwork.getOrDefault(network, 0);
        }

        /** The ids of the units leased to {@code node}. */
        Set<String> unitsHeldBy(ByteString node) {
            return byHolder.getOrDefault(node, Set.of());
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
                Set<String> held = byHolder.get(before.holder());
                if (held != null && held.remove(unitId) && held.isEmpty()) {
                    byHolder.remove(before.holder());
                }
                deadlines.computeIfPresent(before.deadlineMs(), (k, n) -> n <= 1 ? null : n - 1);
                if (!before.address().isEmpty()) {
                    byAddress.computeIfPresent(before.address(), (k, n) -> n <= 1 ? null : n - 1);
                    byNetwork.computeIfPresent(AddressScope.network(before.address()), (k, n) -> n <= 1 ? null : n - 1);
                }
            }
            if (lease != null) {
                if (!lease.address().isEmpty()) {
                    byAddress.merge(lease.address(), 1, Integer::sum);
                    byNetwork.merge(AddressScope.network(lease.address()), 1, Integer::sum);
                }
                counts.merge(lease.holder(), 1, Integer::sum);
                byHolder.computeIfAbsent(lease.holder(), k -> new HashSet<>()).add(unitId);
                deadlines.merge(lease.deadlineMs(), 1, Integer::sum);
            }
        }

        void clear() {
            leases = null;
            byAddress.clear();
            byNetwork.clear();
            counts.clear();
            byHolder.clear();
            deadlines.clear();
        }
    }

    /** An OPEN EVALUATE unit's row and its sequence number (its place in the claim order). */
    record Queued(long seq, UnitRecord unit) {
    }

    /**
     * Every OPEN EVALUATE unit, by sequence number: the claim policy takes open evaluations oldest
     * first, which is this order. Loaded whole on the first claim, then kept by writing each unit's
     * new state here, under the same rules as {@link LeasedUnits}: a transaction reads it with its
     * own unit writes on top, its writes are set here when its savepoint is released, a rollback
     * never sets them, and a failed group commit empties it (loaded again on the next claim). A
     * unit's entry is set, not counted, so setting it twice is harmless. Past {@link #MAX_UNITS}
     * open units it is not kept (the claim page is then read from the database again, as before),
     * and loading is tried again after {@link #RETRY_AFTER} claims.
     */
    static final class OpenUnits {
        static final int MAX_UNITS = 200_000;
        static final int RETRY_AFTER = 10_000;
        private TreeMap<Long, UnitRecord> bySeq;
        private final Map<String, Long> seqs = new HashMap<>();
        private int claimsUntilRetry;

        boolean loaded() {
            return bySeq != null;
        }

        /** Whether a load may be tried now (counts down after one found too many). */
        boolean mayLoad() {
            return claimsUntilRetry <= 0 || --claimsUntilRetry <= 0;
        }

        /** Keeps {@code open}, or nothing when it is null (too many): then loading waits a while. */
        void load(List<Queued> open) {
            clear();
            if (open == null) {
                claimsUntilRetry = RETRY_AFTER;
                return;
            }
            bySeq = new TreeMap<>();
            open.forEach(q -> set(q.unit().id(), q));
        }

        /** The open units in claim order. */
        Collection<UnitRecord> inOrder() {
            return bySeq.values();
        }

        /** The open units by sequence number. */
        Set<Map.Entry<Long, UnitRecord>> entries() {
            return Collections.unmodifiableMap(bySeq).entrySet();
        }

        /** The unit's sequence number if it is queued here, else {@link #UNKNOWN_SEQ}. */
        long seqOf(String unitId) {
            Long seq = seqs.get(unitId);
            return seq == null ? UNKNOWN_SEQ : seq;
        }

        UnitRecord unit(String unitId) {
            Long seq = seqs.get(unitId);
            return seq == null ? null : bySeq.get(seq);
        }

        /** The unit is now open as {@code queued}, or not open (or not an evaluation) when it is null. */
        void set(String unitId, Queued queued) {
            if (bySeq == null) {
                return;  // not loaded: the next load reads it from the database
            }
            Long before = seqs.remove(unitId);
            if (before != null) {
                bySeq.remove(before);
            }
            if (queued != null) {
                seqs.put(unitId, queued.seq());
                bySeq.put(queued.seq(), queued.unit());
                if (bySeq.size() > MAX_UNITS) {
                    load(null);
                }
            }
        }

        void clear() {
            bySeq = null;
            seqs.clear();
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
