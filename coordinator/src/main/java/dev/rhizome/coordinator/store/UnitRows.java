package dev.rhizome.coordinator.store;

import static dev.rhizome.coordinator.store.Rows.EVALUATE;
import static dev.rhizome.coordinator.store.Rows.LEASED;
import static dev.rhizome.coordinator.store.Rows.OPEN;
import static dev.rhizome.coordinator.store.Rows.REPUTATION_COLUMNS;
import static dev.rhizome.coordinator.store.Rows.UNIT_COLUMNS;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.AddressScope;
import dev.rhizome.coordinator.core.LeaseCaps;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.StarvedGiveBacks;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.proto.v1.OperatorRequeue;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Work units and their leases for one transaction: units written and read, the leases recorded
 * and renewed, expiry, what each claimant holds and leased today, and each unit's random seed.
 * Where one process owns the database the leased units, each key's leases today and each
 * commit's leases by network are kept in memory across transactions ({@link OwnedReads}), with
 * this transaction's own writes ({@link UnitWrites}) seen on top: every claim asks for them.
 */
final class UnitRows implements Units {
    private static final String UNIT_COLUMNS_OF_U = Rows.of("u", UNIT_COLUMNS);
    private static final String CLAIMANT = "SELECT (SELECT COUNT(*) FROM units WHERE holder = ? AND state = ?), "
            + "(SELECT COUNT(*) FROM unit_leases WHERE holder = ? AND leased_ms >= ?), "
            + Rows.of("r", REPUTATION_COLUMNS) + " FROM (SELECT 1 AS one) k LEFT JOIN reputations r ON r.runner = ?";
    private static final String CLAIMANT_WITH_ORIGIN = "SELECT (SELECT COUNT(*) FROM units WHERE holder = ? AND state = ?), "
            + "(SELECT COUNT(*) FROM unit_leases WHERE holder = ? AND leased_ms >= ?), "
            + "(SELECT COUNT(*) FROM units WHERE state = " + LEASED + " AND lease_address = ?), "
            + "(SELECT COUNT(*) FROM units WHERE state = " + LEASED + " AND lease_network = ?), "
            + Rows.of("r", REPUTATION_COLUMNS) + " FROM (SELECT 1 AS one) k LEFT JOIN reputations r ON r.runner = ?";

    private final TransactionScope scope;
    private final Queries q;
    private final OwnedReads owned;
    private final UnitWrites writes;
    private final ReputationRows reputations;
    private final Map<String, List<OwnedReads.NetworkLease>> networkLeasesMemo = new HashMap<>();
    /**
     * Units this transaction read {@code FOR UPDATE}, as read: nobody else changes them until it
     * ends, so a settling result's second look at its unit needs no round trip. Dropped when
     * this transaction writes the unit.
     */
    private final Map<String, Optional<UnitRecord>> lockedUnitMemo = new HashMap<>();
    /**
     * Random seeds this transaction read with its settlement's locks or its claim page, and units
     * it found to have none: a unit's seed row is written with the unit and never changes, so an
     * absent one stays absent (each claim of a unit without one asked again).
     */
    private final Map<String, OptionalLong> randomSeedMemo = new HashMap<>();
    private final Set<String> wroteNetworkLeasesFor = new HashSet<>();
    /**
     * The class of a holder's newest lease of a unit, read with a settlement's locks ({@link
     * #leaseClassRead}): a result's intake asks it once the unit is locked, and it was a round trip
     * of its own (round 33). Dropped when this transaction records or forgets a lease of that pair.
     */
    private final Map<LeaseOf, Optional<String>> leaseClassMemo = new HashMap<>();

    private record LeaseOf(String unitId, ByteString holder) {
    }
    private final Set<String> wroteUnitSeeds = new HashSet<>();
    /** Keys whose lease of the day this transaction forgot: their count is read, not kept, until it ends. */
    private final Set<ByteString> forgotLeasesOf = new HashSet<>();

    UnitRows(TransactionScope scope, UnitWrites writes, ReputationRows reputations) {
        this.scope = scope;
        this.q = scope.queries;
        this.owned = scope.owned;
        this.writes = writes;
        this.reputations = reputations;
    }

    /** Forgets what this transaction read of other writers' leases. */
    void forgetReads() {
        networkLeasesMemo.clear();
        lockedUnitMemo.clear();
        leaseClassMemo.clear();
    }

    @Override
    public Optional<UnitRecord> unit(String id) {
        if (owned.leasedUnits.loaded() && !writes.states.containsKey(id)) {
            // A result's unit is almost always leased (to its runner), and leased units' rows are
            // kept (loaded by every claim's expiry check); one this transaction wrote is read
            // back, as it may yet be rolled back.
            OwnedReads.Lease leased = owned.leasedUnits.lease(id);
            if (leased != null) {
                return Optional.of(leased.unit());
            }
        }
        Optional<UnitRecord> locked = lockedUnitMemo.get(id);
        if (locked != null) {
            return locked;
        }
        String locking = scope.order.lockingRead("");
        Optional<UnitRecord> read = Queries.first(q.list("SELECT " + UNIT_COLUMNS + " FROM units WHERE id = ?" + locking,
                Rows::unit, id));
        if (!locking.isEmpty() && read.isPresent()) {
            lockedUnitMemo.put(id, read);
        }
        return read;
    }

    /**
     * The unit's row, locked: read with a settlement's locks ({@link WriteOrder#lockForSettlement}),
     * kept by {@link #keepLocked}.
     */
    Queries.Read<UnitRecord> lockedUnitRead(String id) {
        return new Queries.Read<>("SELECT " + UNIT_COLUMNS + " FROM units WHERE id = ? FOR UPDATE", Rows::unit, id);
    }

    /** Keeps the rows of {@link #lockedUnitRead}, as {@link #unit} keeps a unit it read locked. */
    void keepLocked(String id, List<?> rows) {
        if (!rows.isEmpty()) {
            lockedUnitMemo.put(id, Optional.of((UnitRecord) rows.get(0)));
        }
    }

    /** The unit's random seed, for {@link #keepRandomSeed}. */
    Queries.Read<Long> randomSeedRead(String id) {
        return new Queries.Read<>("SELECT random_seed FROM unit_seeds WHERE unit_id = ?", rs -> rs.getLong(1), id);
    }

    /** Keeps the rows of {@link #randomSeedRead} (none: the unit has no seed), where this transaction did not write it. */
    void keepRandomSeed(String id, List<?> rows) {
        if (!wroteUnitSeeds.contains(id)) {
            randomSeedMemo.put(id, rows.isEmpty() ? OptionalLong.empty() : OptionalLong.of((Long) rows.get(0)));
        }
    }

    @Override
    public void insertUnit(UnitRecord u) {
        insert(u, false);
    }

    @Override
    public void insertUnitAhead(UnitRecord u) {
        insert(u, true);
    }

    private void insert(UnitRecord u, boolean ahead) {
        scope.order.appendInOrder();
        lockedUnitMemo.remove(u.id());
        scope.unitsOpened |= u.state() == UnitStatus.State.OPEN;
        scope.unitsMadeOpen |= u.state() == UnitStatus.State.OPEN;
        scope.workOpened |= u.state() == UnitStatus.State.OPEN;
        String sql = "INSERT INTO units (" + UNIT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        Object[] params = {u.id(), u.kind().getNumber(), u.seed(), u.direction(), u.commit(), u.parent(),
                u.proposer().toByteArray(), u.state().getNumber(), u.holder().toByteArray(), u.leaseDeadlineMs(),
                u.attempts(), u.expiredLeases(), u.createdMs()};
        if (owned.enabled() || ahead) {
            // its place in the open queue (the claim order) is its sequence number
            long seq = q.count(sql + " RETURNING seq", params);
            if (ahead) {
                // Moved below every ordinary number, keeping its order among those moved (one
                // look-up by primary key; the ordinary number was unique, so this one is).
                seq -= AHEAD_OFFSET;
                q.update("UPDATE units SET seq = ? WHERE id = ?", seq, u.id());
            }
            if (owned.enabled()) {
                writes.learnedSeq(u.id(), seq);
                wroteUnitState(u, true, null);
            }
        } else {
            q.update(sql, params);
        }
    }

    @Override
    public void updateUnit(UnitRecord u) {
        // checked once it has run: on PostgreSQL it goes with the next statement (Queries.writeChecked)
        q.writeChecked("UPDATE units SET state = ?, holder = ?, lease_deadline_ms = ?, attempts = ?, "
                        + "expired_leases = ?, commit_id = ? WHERE id = ?", changed -> {
                    if (changed != 1) {
                        throw new StoreException("no work unit " + u.id() + " to update", null);
                    }
                }, u.state().getNumber(), u.holder().toByteArray(),
                u.leaseDeadlineMs(), u.attempts(), u.expiredLeases(), u.commit(), u.id());
        // A renewal stays LEASED; anything else ends a lease or reopens the unit.
        scope.unitsOpened |= u.state() != UnitStatus.State.LEASED;
        scope.unitsMadeOpen |= u.state() == UnitStatus.State.OPEN;
        scope.workOpened |= u.state() == UnitStatus.State.OPEN
                || (u.state() != UnitStatus.State.LEASED && u.kind() == WorkUnit.Kind.EXPLORE);
        wroteUnitState(u, false, null);
    }

    @Override
    public void leaseUnit(UnitRecord u, String address) {
        // The same one statement as any update: the origin costs the claim no round trip. The
        // columns are left as they are once the unit is no longer leased; every count reads
        // them only where state is LEASED.
        q.writeChecked("UPDATE units SET state = ?, holder = ?, lease_deadline_ms = ?, attempts = ?, "
                        + "expired_leases = ?, commit_id = ?, lease_address = ?, lease_network = ? WHERE id = ?", changed -> {
                    if (changed != 1) {
                        throw new StoreException("no work unit " + u.id() + " to lease", null);
                    }
                }, u.state().getNumber(), u.holder().toByteArray(), u.leaseDeadlineMs(), u.attempts(), u.expiredLeases(),
                u.commit(), address, AddressScope.network(address), u.id());
        wroteUnitState(u, false, address);
    }

    /**
     * Notes a unit's new state for the kept leases and open queue (see {@link UnitWrites}). An
     * update writes only the columns that change (state, holder, deadline, counts, commit), so the
     * row kept is the written one with the other columns taken from any earlier row of the unit;
     * when none is known and a kept structure needs the row, it is read back.
     */
    private void wroteUnitState(UnitRecord written, boolean inserted, String leasedFrom) {
        lockedUnitMemo.remove(written.id());
        if (!owned.enabled()) {
            return;
        }
        String id = written.id();
        UnitRecord prior = inserted ? written : writes.knownRow(id);
        UnitRecord row = prior == null ? written : asUpdated(prior, written);
        boolean leased = row.state() == UnitStatus.State.LEASED;
        boolean open = UnitWrites.isOpenEvaluation(row);
        long seq = writes.knownSeq(id);
        boolean rowNeeded = (leased && owned.leasedUnits.loaded()) || (open && owned.openUnits.loaded());
        if ((prior == null && rowNeeded) || (open && seq == OwnedReads.UNKNOWN_SEQ && owned.openUnits.loaded())) {
            Map.Entry<Long, UnitRecord> read = Queries.first(q.list("SELECT " + UNIT_COLUMNS + ", seq FROM units WHERE id = ?",
                    rs -> Map.entry(rs.getLong(14), Rows.unit(rs)), id)).orElseThrow();
            seq = read.getKey();
            row = read.getValue();
        }
        writes.wrote(row, seq, leasedFrom);
    }

    /** {@code written} as the database holds it after the update: the columns it does not write from {@code prior}. */
    private static UnitRecord asUpdated(UnitRecord prior, UnitRecord written) {
        return new UnitRecord(prior.id(), prior.kind(), prior.seed(), prior.direction(), written.commit(),
                prior.parent(), prior.proposer(), written.state(), written.holder(), written.leaseDeadlineMs(),
                written.attempts(), written.expiredLeases(), prior.createdMs());
    }

    @Override
    public void recordLease(String unitId, ByteString holder, long nowMs, ByteString claimNonce, long signedMs,
            String network, String address, String hardwareClass) {
        leaseClassMemo.remove(new LeaseOf(unitId, holder));
        Long signed = signedMs == Long.MIN_VALUE ? null : signedMs;
        byte[] nonce = claimNonce.isEmpty() ? null : claimNonce.toByteArray();
        // The unit's commit goes with the lease, for the index a claim probes by trial and network.
        // Where the store keeps rows it is known (the claim just wrote the unit); a shared store
        // takes it in the same statement rather than one more round trip.
        UnitRecord known = writes.knownRow(unitId);
        String commit = known != null ? known.commit() : owned.enabled()
                ? Queries.first(q.list("SELECT commit_id FROM units WHERE id = ?", rs -> rs.getString(1), unitId)).orElse("")
                : null;
        if (commit != null) {
            q.write("INSERT INTO unit_leases (unit_id, holder, leased_ms, claim_nonce, signed_ms, commit_id, network, "
                    + "address, hardware_class) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", unitId, holder.toByteArray(), nowMs,
                    nonce, signed, commit, network, address, hardwareClass);
        } else {
            q.write("INSERT INTO unit_leases (unit_id, holder, leased_ms, claim_nonce, signed_ms, commit_id, network, "
                            + "address, hardware_class) VALUES (?, ?, ?, ?, ?, COALESCE((SELECT u.commit_id FROM units u "
                            + "WHERE u.id = ?), ''), ?, ?, ?)", unitId, holder.toByteArray(), nowMs, nonce, signed, unitId,
                    network, address, hardwareClass);
        }
        if (owned.enabled()) {
            writes.recordedLease(holder, nowMs);
            if (!network.isEmpty()) {
                scope.appendKept(networkLeasesMemo, owned.networkLeases, wroteNetworkLeasesFor, commit,
                        new OwnedReads.NetworkLease(randomSeedOrNull(unitId), new ReplicaNetworks.Lease(network, nowMs)));
            }
        }
    }

    /** The commit's leases taken from a network, this transaction's included. */
    List<OwnedReads.NetworkLease> networkLeases(String commit) {
        return networkLeasesMemo.computeIfAbsent(commit,
                c -> TransactionScope.through(owned.networkLeases, wroteNetworkLeasesFor, c, this::readNetworkLeases));
    }

    private List<OwnedReads.NetworkLease> readNetworkLeases(String commit) {
        // network <> '' written out: only then may the planners use the partial index
        return List.copyOf(q.list("SELECT ns.random_seed, nl.network, nl.leased_ms FROM unit_leases nl "
                        + "LEFT JOIN unit_seeds ns ON ns.unit_id = nl.unit_id WHERE nl.commit_id = ? AND nl.network <> ''",
                rs -> {
                    long seed = rs.getLong(1);
                    return new OwnedReads.NetworkLease(rs.wasNull() ? null : seed,
                            new ReplicaNetworks.Lease(rs.getString(2), rs.getLong(3)));
                }, commit));
    }

    @Override
    public Optional<String> unitClaimedWith(ByteString node, ByteString claimNonce, long sinceMs) {
        return q.list("SELECT unit_id FROM unit_leases WHERE holder = ? AND leased_ms >= ? AND claim_nonce = ? "
                        + "ORDER BY leased_ms DESC LIMIT 1", rs -> rs.getString(1), node.toByteArray(), sinceMs,
                claimNonce.toByteArray()).stream().findFirst();
    }

    @Override
    public Optional<String> leaseClass(String unitId, ByteString node) {
        Optional<String> kept = leaseClassMemo.get(new LeaseOf(unitId, node));
        if (kept != null) {
            return kept;
        }
        Queries.Read<String> read = leaseClassRead(unitId, node);
        return Queries.first(q.list(read.sql(), read.row(), read.params()));
    }

    /** {@link #leaseClass} as a read to send with others, for {@link #keepLeaseClass}. */
    Queries.Read<String> leaseClassRead(String unitId, ByteString node) {
        return new Queries.Read<>("SELECT hardware_class FROM unit_leases WHERE unit_id = ? AND holder = ? "
                + "ORDER BY leased_ms DESC LIMIT 1", rs -> rs.getString(1), unitId, node.toByteArray());
    }

    /** Keeps the rows of {@link #leaseClassRead} (none: never leased to {@code node}). */
    void keepLeaseClass(String unitId, ByteString node, List<?> rows) {
        leaseClassMemo.put(new LeaseOf(unitId, node), rows.isEmpty() ? Optional.empty() : Optional.of((String) rows.get(0)));
    }

    @Override
    public Optional<ForgottenLease> forgetLease(String unitId, ByteString holder) {
        leaseClassMemo.remove(new LeaseOf(unitId, holder));
        byte[] key = holder.toByteArray();
        Optional<Object[]> newest = Queries.first(q.list("SELECT address, leased_ms, commit_id, network FROM unit_leases "
                        + "WHERE unit_id = ? AND holder = ? ORDER BY leased_ms DESC LIMIT 1",
                rs -> new Object[] {rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4)}, unitId, key));
        if (newest.isEmpty()) {
            return Optional.empty();
        }
        long leasedMs = (Long) newest.get()[1];
        q.update("DELETE FROM unit_leases WHERE unit_id = ? AND holder = ? AND leased_ms = ?", unitId, key, leasedMs);
        if (owned.enabled()) {
            // The shared counts held this lease: dropped, and read from the database for the rest
            // of this transaction (a rollback would bring the row back).
            TransactionScope.wrote(owned.leasesSince, forgotLeasesOf, holder);
            String commit = (String) newest.get()[2];
            if (!((String) newest.get()[3]).isEmpty()) {
                TransactionScope.wrote(owned.networkLeases, wroteNetworkLeasesFor, commit);
                networkLeasesMemo.remove(commit);
            }
        }
        return Optional.of(new ForgottenLease((String) newest.get()[0], leasedMs));
    }

    @Override
    public boolean markStarved(String unitId, ByteString holder, long nowMs) {
        byte[] key = holder.toByteArray();
        return q.update("UPDATE unit_leases SET starved_ms = ? WHERE unit_id = ? AND holder = ? AND leased_ms = "
                + "(SELECT MAX(leased_ms) FROM unit_leases WHERE unit_id = ? AND holder = ?)", nowMs, unitId, key,
                unitId, key) > 0;
    }

    @Override
    public OptionalLong leasedMs(String unitId, ByteString holder) {
        List<Long> leased = q.list("SELECT leased_ms FROM unit_leases WHERE unit_id = ? AND holder = ? "
                + "ORDER BY leased_ms DESC LIMIT 1", rs -> rs.getLong(1), unitId, holder.toByteArray());
        return leased.isEmpty() ? OptionalLong.empty() : OptionalLong.of(leased.get(0));
    }

    @Override
    public Map<String, List<StarvedGiveBacks.GivenBack>> starvedGiveBacks(Collection<String> unitIds) {
        Map<String, List<StarvedGiveBacks.GivenBack>> byUnit = new HashMap<>();
        if (unitIds.isEmpty()) {
            return byUnit;
        }
        // starved_ms IS NOT NULL written out: only then may the planners use the partial index
        for (Object[] row : q.listIn("SELECT unit_id, network, starved_ms FROM unit_leases WHERE starved_ms IS NOT NULL "
                + "AND unit_id IN", unitIds, rs -> new Object[] {rs.getString(1), rs.getString(2), rs.getLong(3)})) {
            byUnit.computeIfAbsent((String) row[0], u -> new ArrayList<>())
                    .add(new StarvedGiveBacks.GivenBack((String) row[1], (Long) row[2]));
        }
        return byUnit;
    }

    @Override
    public Set<ByteString> leaseHolders(String unitId) {
        return new LinkedHashSet<>(q.list("SELECT DISTINCT holder FROM unit_leases WHERE unit_id = ?",
                rs -> ByteString.copyFrom(rs.getBytes(1)), unitId));
    }

    @Override
    public List<UnitRecord> expiredLeases(long nowMs) {
        if (noLeaseExpiredBy(nowMs)) {
            return List.of();
        }
        // The state is written out, not bound: only then can the planner use the partial index on it.
        return q.list("SELECT " + UNIT_COLUMNS + " FROM units WHERE state = " + LEASED
                + " AND lease_deadline_ms < ? ORDER BY seq" + scope.order.lockingRead(""), Rows::unit, nowMs);
    }

    @Override
    public int leasesHeldBy(ByteString node) {
        if (owned.enabled()) {
            return heldFromMemory(node);
        }
        return (int) q.count("SELECT COUNT(*) FROM units WHERE holder = ? AND state = ?", node.toByteArray(), LEASED);
    }

    @Override
    public List<UnitRecord> leasesOf(ByteString node, int limit) {
        // from the table, also where this coordinator keeps the leases in memory: a read for a page
        // shown to people, which the claims' hot path (leasesHeldBy, claimant) need not share
        return q.list("SELECT " + UNIT_COLUMNS + " FROM units WHERE holder = ? AND state = " + LEASED
                + " ORDER BY seq LIMIT ?", Rows::unit, node.toByteArray(), limit);
    }

    /** The shared leases, loaded from the database the first time. */
    OwnedReads.LeasedUnits sharedLeases() {
        OwnedReads.LeasedUnits shared = owned.leasedUnits;
        if (!shared.loaded()) {
            // Includes this transaction's writes so far; applying them again changes nothing, as
            // each one sets a unit's lease rather than counting.
            Map<String, OwnedReads.Lease> leased = new HashMap<>();
            q.list("SELECT " + UNIT_COLUMNS + ", seq, lease_address FROM units WHERE state = " + LEASED, rs -> {
                UnitRecord unit = Rows.unit(rs);
                return leased.put(unit.id(), new OwnedReads.Lease(unit, rs.getLong(14), rs.getString(15)));
            });
            if (!writes.none()) {
                // What was read holds this transaction's own unit writes, which it may yet roll
                // back to its savepoint: used for this read only, not kept for others.
                OwnedReads.LeasedUnits mine = new OwnedReads.LeasedUnits();
                mine.load(leased);
                return mine;
            }
            shared.load(leased);
        }
        return shared;
    }

    /** The shared count with this transaction's own unit writes applied on top. */
    int heldFromMemory(ByteString node) {
        OwnedReads.LeasedUnits shared = sharedLeases();
        int held = shared.heldBy(node);
        for (Map.Entry<String, Optional<OwnedReads.Lease>> write : writes.states.entrySet()) {
            OwnedReads.Lease before = shared.lease(write.getKey());
            if (before != null && node.equals(before.holder())) {
                held--;
            }
            if (write.getValue().filter(l -> node.equals(l.holder())).isPresent()) {
                held++;
            }
        }
        return held;
    }

    /**
     * Whether no lease can have expired by {@code nowMs}, known without a read: every claim asks,
     * and almost always none has. False (read the database) when unsure.
     */
    private boolean noLeaseExpiredBy(long nowMs) {
        if (!owned.enabled()) {
            return false;
        }
        OwnedReads.LeasedUnits shared = sharedLeases();
        if (shared.anyDeadlineBefore(nowMs)) {
            return false;
        }
        for (Optional<OwnedReads.Lease> write : writes.states.values()) {
            if (write.isPresent() && write.get().deadlineMs() < nowMs) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Claimant claimant(ByteString node, long sinceMs, String address) {
        if (owned.enabled()) {
            // Kept in memory where one process owns the database: the daily count alone read one
            // index entry per lease of the day, on every claim.
            return new Claimant(heldFromMemory(node), reputations.reputation(node), leasesSince(node, sinceMs),
                    heldFromOriginInMemory(address));
        }
        // One statement where five would each pay a round trip (sqlite-jdbc: a native call per
        // step and per column), on every claim. The derived one-row table makes the reputation
        // optional. The origin's counts go along the partial indexes of leased units (migration
        // 22), the state written out so that the planner may use them.
        byte[] key = node.toByteArray();
        boolean origin = !address.isEmpty();
        String sql = origin ? CLAIMANT_WITH_ORIGIN : CLAIMANT;
        Object[] params = origin ? new Object[] {key, LEASED, key, sinceMs, address, AddressScope.network(address), key}
                : new Object[] {key, LEASED, key, sinceMs, key};
        return q.list(sql, rs -> {
            int held = rs.getInt(1);
            int since = rs.getInt(2);
            int at = origin ? 5 : 3;
            LeaseCaps.Held fromOrigin = origin ? new LeaseCaps.Held(rs.getInt(3), rs.getInt(4)) : new LeaseCaps.Held(0, 0);
            Optional<Reputation> reputation = rs.getBytes(at) == null ? Optional.empty()
                    : Optional.of(new Reputation(rs.getInt(at + 1), rs.getInt(at + 2), rs.getInt(at + 3),
                            rs.getInt(at + 4), rs.getLong(at + 5), rs.getInt(at + 6)));
            return new Claimant(held, reputation, since, fromOrigin);
        }, params).get(0);
    }

    /** The leased units claimed from the address and its network, kept in memory, with this transaction's writes on top. */
    private LeaseCaps.Held heldFromOriginInMemory(String address) {
        if (address.isEmpty()) {
            return new LeaseCaps.Held(0, 0);
        }
        String network = AddressScope.network(address);
        OwnedReads.LeasedUnits shared = sharedLeases();
        int byAddress = shared.heldFromAddress(address);
        int byNetwork = shared.heldFromNetwork(network);
        for (Map.Entry<String, Optional<OwnedReads.Lease>> write : writes.states.entrySet()) {
            OwnedReads.Lease before = shared.lease(write.getKey());
            if (before != null && !before.address().isEmpty()) {
                byAddress -= before.address().equals(address) ? 1 : 0;
                byNetwork -= AddressScope.network(before.address()).equals(network) ? 1 : 0;
            }
            if (write.getValue().isPresent() && !write.getValue().get().address().isEmpty()) {
                String from = write.getValue().get().address();
                byAddress += from.equals(address) ? 1 : 0;
                byNetwork += AddressScope.network(from).equals(network) ? 1 : 0;
            }
        }
        return new LeaseCaps.Held(byAddress, byNetwork);
    }

    @Override
    public int leasesSince(ByteString node, long sinceMs) {
        if (!owned.enabled() || forgotLeasesOf.contains(node)) {
            return readLeasesSince(node, sinceMs);
        }
        OwnedReads.LeaseCount known = owned.leasesSince.get(node);
        if (known == null || known.sinceMs() != sinceMs) {
            // The database includes this transaction's own leases; the shared count does not until released.
            known = new OwnedReads.LeaseCount(sinceMs, readLeasesSince(node, sinceMs) - writes.leasesSince(node, sinceMs));
            owned.leasesSince.put(node, known);
        }
        return known.count() + writes.leasesSince(node, sinceMs);
    }

    private int readLeasesSince(ByteString node, long sinceMs) {
        return (int) q.count("SELECT COUNT(*) FROM unit_leases WHERE holder = ? AND leased_ms >= ?", node.toByteArray(),
                sinceMs);
    }

    @Override
    public int leaseRenewals(String unitId, ByteString holder) {
        return (int) q.count("SELECT COALESCE((SELECT renewals FROM unit_leases WHERE unit_id = ? AND holder = ? "
                + "ORDER BY leased_ms DESC LIMIT 1), 0)", unitId, holder.toByteArray());
    }

    @Override
    public boolean recordRenewal(String unitId, ByteString holder, long signedMs) {
        // The holder's latest lease of the unit (portable SQL: no rowid).
        byte[] key = holder.toByteArray();
        return q.update("UPDATE unit_leases SET renewals = renewals + 1, signed_ms = ? WHERE unit_id = ? AND holder = ? "
                + "AND leased_ms = (SELECT MAX(leased_ms) FROM unit_leases WHERE unit_id = ? AND holder = ?) "
                + "AND (signed_ms IS NULL OR signed_ms < ?)", signedMs, unitId, key, unitId, key, signedMs) > 0;
    }

    @Override
    public void setUnitRandomSeed(String unitId, long randomSeed) {
        TransactionScope.wrote(owned.unitRandomSeeds, wroteUnitSeeds, unitId);
        randomSeedMemo.remove(unitId);
        scope.afterCommit.add(() -> owned.unitRandomSeeds.put(unitId, randomSeed));
        q.update("INSERT INTO unit_seeds (unit_id, random_seed) VALUES (?, ?)", unitId, randomSeed);
    }

    @Override
    public OptionalLong unitRandomSeed(String unitId) {
        OptionalLong kept = randomSeedMemo.get(unitId);
        if (kept != null) {
            return kept;
        }
        Long seed = TransactionScope.through(owned.unitRandomSeeds, wroteUnitSeeds, unitId, id -> Queries.first(
                q.list("SELECT random_seed FROM unit_seeds WHERE unit_id = ?", rs -> rs.getLong(1), id)).orElse(null));
        return seed == null ? OptionalLong.empty() : OptionalLong.of(seed);
    }

    Long randomSeedOrNull(String unitId) {
        OptionalLong seed = unitRandomSeed(unitId);
        return seed.isPresent() ? seed.getAsLong() : null;
    }

    @Override
    public List<UnitRecord> units(Optional<UnitStatus.State> state) {
        return q.list("SELECT " + UNIT_COLUMNS + " FROM units WHERE ? = 0 OR state = ? ORDER BY seq",
                Rows::unit, state.map(UnitStatus.State::getNumber).orElse(0),
                state.map(UnitStatus.State::getNumber).orElse(0));
    }

    @Override
    public List<Keyed<Long, UnitRecord>> units(Optional<UnitStatus.State> state, long afterSeq, int limit) {
        String where = state.isEmpty() ? "? = 0 AND" : "state = ? AND";
        return q.list("SELECT " + UNIT_COLUMNS + ", seq FROM units WHERE " + where + " seq > ? ORDER BY seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(14), Rows.unit(rs)), state.map(UnitStatus.State::getNumber).orElse(0),
                afterSeq, limit);
    }

    @Override
    public List<UnitRecord> openEvaluations() {
        return q.list("SELECT " + UNIT_COLUMNS + " FROM units WHERE state = ? AND kind = ? ORDER BY seq",
                Rows::unit, OPEN, EVALUATE);
    }

    @Override
    public int pendingUnitsForCommit(String commit) {
        return (int) q.count("SELECT COUNT(*) FROM units WHERE commit_id = ? AND kind = ? AND state IN (?, ?)",
                commit, EVALUATE, OPEN, LEASED);
    }

    @Override
    public int leasedUnitsForCommit(String commit) {
        return (int) q.count("SELECT COUNT(*) FROM units WHERE commit_id = ? AND kind = ? AND state = ?",
                commit, EVALUATE, LEASED);
    }

    @Override
    public List<UnitRecord> pendingUnitsOfCommit(String commit) {
        return q.list("SELECT " + UNIT_COLUMNS + " FROM units WHERE commit_id = ? AND kind = ? AND state IN (?, ?) "
                + "ORDER BY seq" + scope.order.lockingRead(""), Rows::unit, commit, EVALUATE, OPEN, LEASED);
    }

    @Override
    public List<UnitRecord> pendingUnitsOfTrial(String commit, long randomSeed) {
        return q.list("SELECT " + UNIT_COLUMNS_OF_U + " FROM units u "
                        + "JOIN unit_seeds s ON s.unit_id = u.id WHERE u.commit_id = ? AND s.random_seed = ? "
                        + "AND u.kind = ? AND u.state IN (?, ?) ORDER BY u.seq" + scope.order.lockingRead(" OF u"),
                Rows::unit, commit, randomSeed, EVALUATE, OPEN, LEASED);
    }

    @Override
    public Map<Long, Integer> trialRequeues(String commit) {
        Map<Long, Integer> times = new LinkedHashMap<>();
        q.list("SELECT random_seed, times FROM trial_requeues WHERE commit_id = ? ORDER BY random_seed",
                rs -> Map.entry(rs.getLong(1), rs.getInt(2)), commit).forEach(e -> times.put(e.getKey(), e.getValue()));
        return times;
    }

    @Override
    public Map<String, Map<Long, Integer>> trialRequeues(Collection<String> commits) {
        Map<String, Map<Long, Integer>> times = new HashMap<>();
        q.listIn("SELECT commit_id, random_seed, times FROM trial_requeues WHERE commit_id IN", commits,
                rs -> times.computeIfAbsent(rs.getString(1), c -> new TreeMap<>()).put(rs.getLong(2), rs.getInt(3)));
        return times;
    }

    @Override
    public Map<String, Set<Long>> pendingTrialSeeds(Collection<String> commits) {
        Map<String, Set<Long>> seeds = new HashMap<>();
        q.listIn("SELECT DISTINCT u.commit_id, s.random_seed FROM units u JOIN unit_seeds s ON s.unit_id = u.id "
                        + "WHERE u.kind = " + EVALUATE + " AND u.state IN (" + OPEN + ", " + LEASED + ") AND u.commit_id IN",
                commits, rs -> seeds.computeIfAbsent(rs.getString(1), c -> new TreeSet<>()).add(rs.getLong(2)));
        return seeds;
    }

    @Override
    public Map<String, Set<Long>> pendingTrialSeedsOfDirection(String direction) {
        Map<String, Set<Long>> seeds = new HashMap<>();
        q.list("SELECT DISTINCT u.commit_id, s.random_seed FROM units u JOIN unit_seeds s ON s.unit_id = u.id "
                        + "WHERE u.direction = ? AND u.kind = " + EVALUATE + " AND u.state IN (" + OPEN + ", " + LEASED + ")",
                rs -> seeds.computeIfAbsent(rs.getString(1), c -> new TreeSet<>()).add(rs.getLong(2)), direction);
        return seeds;
    }

    @Override
    public Optional<String> operatorRequeue(String direction, String commit, ByteString by, long requeuedMs) {
        return q.list("SELECT random_seeds FROM operator_requeues WHERE direction = ? AND commit_id = ? "
                        + "AND requeued_by = ? AND requeued_ms = ?", rs -> rs.getString(1), direction, commit,
                by.toByteArray(), requeuedMs).stream().findFirst();
    }

    @Override
    public Map<String, List<OperatorRequeue>> operatorRequeues(Collection<String> directions) {
        Map<String, List<OperatorRequeue>> orders = new HashMap<>();
        q.listIn("SELECT direction, commit_id, requeued_by, requeued_ms, random_seeds, reason FROM operator_requeues "
                + "WHERE direction IN", directions, rs -> orders.computeIfAbsent(rs.getString(1), d -> new ArrayList<>())
                .add(OperatorRequeue.newBuilder().setCommit(rs.getString(2))
                        .setRequeuedBy(ByteString.copyFrom(rs.getBytes(3))).setRequeuedMs(rs.getLong(4))
                        .addAllRandomSeeds(seedList(rs.getString(5))).setReason(rs.getString(6)).build()));
        orders.values().forEach(l -> l.sort(java.util.Comparator.comparingLong(OperatorRequeue::getRequeuedMs)
                .reversed()));
        return orders;
    }

    /** The seeds {@link #recordOperatorRequeue} kept, as written: unsigned decimals in brackets, "[1, 2]". */
    private static List<Long> seedList(String kept) {
        String inner = kept.strip().replaceAll("^\\[|\\]$", "").strip();
        return inner.isEmpty() ? List.of()
                : java.util.Arrays.stream(inner.split(",")).map(String::strip).map(Long::parseUnsignedLong).toList();
    }

    @Override
    public void recordOperatorRequeue(String direction, String commit, ByteString by, long requeuedMs,
            String randomSeeds, String reason) {
        q.write("INSERT INTO operator_requeues (direction, commit_id, requeued_by, requeued_ms, random_seeds, reason) "
                + "VALUES (?, ?, ?, ?, ?, ?)", direction, commit, by.toByteArray(), requeuedMs, randomSeeds, reason);
    }

    @Override
    public void countTrialRequeue(String commit, long randomSeed) {
        q.write("INSERT INTO trial_requeues (commit_id, random_seed, times) VALUES (?, ?, 1) "
                + "ON CONFLICT (commit_id, random_seed) DO UPDATE SET times = trial_requeues.times + 1",
                commit, randomSeed);
    }

    @Override
    public Set<String> commitsTouchedBy(ByteString node) {
        byte[] key = node.toByteArray();
        return new LinkedHashSet<>(q.list("SELECT DISTINCT u.commit_id FROM units u WHERE u.state = ? AND u.kind = ? AND ("
                        + "EXISTS (SELECT 1 FROM results r WHERE r.commit_id = u.commit_id AND r.runner = ?) OR "
                        + "EXISTS (SELECT 1 FROM units l WHERE l.commit_id = u.commit_id AND l.state = ? AND l.holder = ?))",
                rs -> rs.getString(1), OPEN, EVALUATE, key, LEASED, key));
    }

    @Override
    public Set<String> unitsBarredFor(ByteString node) {
        byte[] key = node.toByteArray();
        return new LinkedHashSet<>(q.list("SELECT u.id FROM units u JOIN unit_seeds s ON s.unit_id = u.id "
                        + "WHERE u.state = ? AND u.kind = ? AND ("
                        + "EXISTS (SELECT 1 FROM results r JOIN unit_seeds rs ON rs.unit_id = r.unit_id "
                        + "WHERE r.commit_id = u.commit_id AND rs.random_seed = s.random_seed AND r.runner = ?) OR "
                        + "EXISTS (SELECT 1 FROM units l JOIN unit_seeds ls ON ls.unit_id = l.id "
                        + "WHERE l.commit_id = u.commit_id AND ls.random_seed = s.random_seed AND l.state = ? "
                        + "AND l.holder = ?))",
                rs -> rs.getString(1), OPEN, EVALUATE, key, LEASED, key));
    }
}
