package dev.rhizome.coordinator.store;

import static dev.rhizome.coordinator.store.Rows.EVALUATE;
import static dev.rhizome.coordinator.store.Rows.LEASED;
import static dev.rhizome.coordinator.store.Rows.OPEN;
import static dev.rhizome.coordinator.store.Rows.UNIT_COLUMNS;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.Saturating;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.UnitRecord;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The claim page: the open evaluations a claimant may take, in the queue's order, and the
 * reservations that hold a unit for chosen keys (a spot check's replicas). A unit is left out
 * when the claimant already reported on its trial (commit and random seed), holds a lease on it,
 * its network leased the trial within the hold ({@link ReplicaNetworks}) or registered its commit,
 * or it is reserved until now for other keys. Read by one statement, or, where one process owns the database, walked
 * from the open queue kept in memory ({@link OwnedReads.OpenUnits}) with the same tests.
 */
final class ClaimQueue implements OpenEvaluations {
    // The unit's random seed comes with it (the claim's answer names it): no read of its own.
    private static final String PAGE_COLUMNS = "SELECT " + Rows.of("u", UNIT_COLUMNS) + ", s.random_seed";
    /*
     * Where several coordinators share the store, the page locks its units: the unit's latest
     * reservation deadline (column 15) comes from the row as last committed, and its direction's
     * closure (16; NULL where open) with it, which the claim asks for next.
     */
    private static final String LOCKED_PAGE_COLUMNS = ", u.reserved_until_ms, "
            + "(SELECT c.reason FROM direction_closures c WHERE c.direction = u.direction)";
    private static final String PAGE_FROM = " FROM units u "
            + "LEFT JOIN unit_seeds s ON s.unit_id = u.id WHERE u.state = ? AND u.kind = ? "
            + "AND NOT EXISTS (SELECT 1 FROM results r LEFT JOIN unit_seeds rs ON rs.unit_id = r.unit_id "
            + "WHERE r.commit_id = u.commit_id AND rs.random_seed IS NOT DISTINCT FROM s.random_seed "
            + "AND r.runner = ?) ";
    private static final String PAGE_NOT_HELD = "AND NOT EXISTS (SELECT 1 FROM units l LEFT JOIN unit_seeds ls "
            + "ON ls.unit_id = l.id WHERE l.commit_id = u.commit_id AND ls.random_seed IS NOT DISTINCT FROM s.random_seed "
            + "AND l.state = ? AND l.holder = ?) ";
    /*
     * A unit reserved for other keys (a spot check's replica) waits for them until its deadline.
     * A unit whose row shows no deadline lasting until now (migration 33) is reserved for nobody:
     * no probe of unit_reservations for it.
     */
    private static final String PAGE_NOT_RESERVED = "AND (u.reserved_until_ms IS NULL OR u.reserved_until_ms < ? "
            + "OR NOT EXISTS (SELECT 1 FROM unit_reservations v "
            + "WHERE v.unit_id = u.id AND v.until_ms >= ?) OR EXISTS (SELECT 1 FROM unit_reservations w "
            + "WHERE w.unit_id = u.id AND w.node = ? AND w.until_ms >= ?)) ";
    // The same for a claimant with a network, which may not take a reserved unit whose trial its
    // network leased or sent a result of at any time ({@link #reservationAdmits}); the commit's
    // own network is kept off every unit of it (PAGE_NOT_NETWORK).
    private static final String PAGE_NOT_RESERVED_FROM_NETWORK = "AND (u.reserved_until_ms IS NULL "
            + "OR u.reserved_until_ms < ? OR NOT EXISTS (SELECT 1 FROM unit_reservations v "
            + "WHERE v.unit_id = u.id AND v.until_ms >= ?) OR (EXISTS (SELECT 1 FROM unit_reservations w "
            + "WHERE w.unit_id = u.id AND w.node = ? AND w.until_ms >= ?) AND NOT EXISTS (SELECT 1 FROM unit_leases rl "
            + "LEFT JOIN unit_seeds rs ON rs.unit_id = rl.unit_id WHERE rl.commit_id = u.commit_id AND rl.network = ? "
            + "AND rl.network <> '' AND rs.random_seed IS NOT DISTINCT FROM s.random_seed) AND NOT EXISTS (SELECT 1 "
            + "FROM results rr LEFT JOIN unit_seeds rrs ON rrs.unit_id = rr.unit_id WHERE rr.commit_id = u.commit_id "
            + "AND rr.network = ? AND rrs.random_seed IS NOT DISTINCT FROM s.random_seed))) ";
    /*
     * A trial the claimant's network leased within the hold (core.ReplicaNetworks) waits for other
     * networks. One probe of the partial index on (commit_id, network, leased_ms) per row read,
     * which finds nothing at once where the network never leased the commit; only for a claimant
     * with a network (none from loopback), and network <> '' is written out so that the planners
     * may use that index.
     */
    private static final String PAGE_NOT_NETWORK = "AND NOT EXISTS (SELECT 1 FROM unit_leases nl LEFT JOIN unit_seeds ns "
            + "ON ns.unit_id = nl.unit_id WHERE nl.commit_id = u.commit_id AND nl.network = ? AND nl.network <> '' "
            + "AND nl.leased_ms > ? AND ns.random_seed IS NOT DISTINCT FROM s.random_seed) ";
    /*
     * The network the commit's experiment was registered from is kept off all its trials, not for
     * a hold: a proposer's second key there would run (and confirm) its own experiment. One probe
     * of the experiments' primary key per row read.
     */
    private static final String PAGE_NOT_PROPOSERS_NETWORK = "AND NOT EXISTS (SELECT 1 FROM experiments pe "
            + "WHERE pe.commit_id = u.commit_id AND pe.network = ?) ";
    private static final String PAGE_ORDER = "ORDER BY u.seq LIMIT ? OFFSET ?";

    private final TransactionScope scope;
    private final Queries q;
    private final OwnedReads owned;
    private final UnitWrites writes;
    private final UnitRows units;
    private final ResultRows results;
    private final DirectionRows directions;

    ClaimQueue(TransactionScope scope, UnitWrites writes, UnitRows units, ResultRows results, DirectionRows directions) {
        this.directions = directions;
        this.scope = scope;
        this.q = scope.queries;
        this.owned = scope.owned;
        this.writes = writes;
        this.units = units;
        this.results = results;
    }

    @Override
    public void reserveUnit(String unitId, List<ByteString> nodes, long untilMs) {
        if (!nodes.isEmpty()) {
            writes.reserved(untilMs);
            // The latest deadline on the unit's own row too (migration 33), never lowered: a
            // claim that holds the row locked knows from it whether any reservation may last.
            q.write("UPDATE units SET reserved_until_ms = ? WHERE id = ? AND (reserved_until_ms IS NULL "
                    + "OR reserved_until_ms < ?)", untilMs, unitId, untilMs);
        }
        for (ByteString node : nodes) {
            q.update("INSERT INTO unit_reservations (unit_id, node, until_ms) VALUES (?, ?, ?) "
                    + "ON CONFLICT (unit_id, node) DO UPDATE SET until_ms = excluded.until_ms", unitId,
                    node.toByteArray(), untilMs);
        }
    }

    @Override
    public long nextOpening(ByteString node, String network, long nowMs) {
        // A lease is expired once its deadline is passed (lease_deadline_ms < now): along the
        // partial index of LEASED units by deadline, one seek (the state written out, not bound:
        // only then can the planner use that index).
        long next = q.count("SELECT COALESCE(MIN(lease_deadline_ms), ?) FROM units WHERE state = " + LEASED,
                Long.MAX_VALUE - 1) + 1;
        if (!noReservationLastsUntil(nowMs)) {
            // Reserved while until_ms >= now; from the open queue's side, whose walk the claim that
            // found nothing has just paid for.
            next = Math.min(next, q.count("SELECT COALESCE(MIN(v.until_ms), ?) FROM units u JOIN unit_reservations v "
                    + "ON v.unit_id = u.id WHERE u.state = ? AND u.kind = ? AND v.until_ms >= ? AND v.node <> ?",
                    Long.MAX_VALUE - 1, OPEN, EVALUATE, nowMs, node.toByteArray()) + 1);
        }
        if (!network.isEmpty()) {
            // Held while leased_ms > now - HOLD, so open from leased_ms + HOLD.
            long leased = q.count("SELECT COALESCE(MIN(nl.leased_ms), ?) FROM units u LEFT JOIN unit_seeds s "
                    + "ON s.unit_id = u.id JOIN unit_leases nl ON nl.commit_id = u.commit_id LEFT JOIN unit_seeds ns "
                    + "ON ns.unit_id = nl.unit_id WHERE u.state = ? AND u.kind = ? AND nl.network = ? "
                    + "AND nl.network <> '' AND nl.leased_ms > ? AND ns.random_seed IS NOT DISTINCT FROM s.random_seed",
                    Long.MAX_VALUE, OPEN, EVALUATE, network, ReplicaNetworks.heldAfter(nowMs));
            if (leased != Long.MAX_VALUE) {
                next = Math.min(next, Saturating.plus(leased, ReplicaNetworks.HOLD.toMillis()));
            }
        }
        return next > nowMs ? next : Long.MAX_VALUE;
    }

    @Override
    public List<ByteString> reservation(String unitId, long nowMs) {
        return q.list("SELECT node FROM unit_reservations WHERE unit_id = ? AND until_ms >= ? ORDER BY node",
                rs -> ByteString.copyFrom(rs.getBytes(1)), unitId, nowMs);
    }

    @Override
    public List<UnitRecord> openEvaluationsFor(ByteString node, String network, long nowMs, int offset, int limit) {
        OwnedReads.OpenUnits queue = owned.enabled() ? sharedQueue() : null;
        if (queue != null) {
            return walkQueue(queue, node, network, nowMs, offset, limit);
        }
        // Replicas of one trial (commit and random seed) go to distinct keys; one key may run a commit at other seeds.
        byte[] key = node.toByteArray();
        // Where the store owns its database, two of the page's four tests are often known to pass
        // without a read, and are then left out of the statement (each is a subquery per row read,
        // some 20 us of a claim each): a key that holds no lease holds none of the trial either,
        // and with no reservation lasting until now, no unit waits for other keys.
        boolean holdsSome = !owned.enabled() || units.heldFromMemory(node) > 0;
        boolean someReserved = !noReservationLastsUntil(nowMs);
        List<Object> params = new ArrayList<>(List.of(OPEN, EVALUATE, key));
        boolean locks = scope.order.isShared();
        StringBuilder sql = new StringBuilder(PAGE_COLUMNS).append(locks ? LOCKED_PAGE_COLUMNS : "").append(PAGE_FROM);
        if (holdsSome) {
            sql.append(PAGE_NOT_HELD);
            params.addAll(List.of(LEASED, key));
        }
        if (someReserved && network.isEmpty()) {
            sql.append(PAGE_NOT_RESERVED);
            params.addAll(List.of(nowMs, nowMs, key, nowMs));
        } else if (someReserved) {
            sql.append(PAGE_NOT_RESERVED_FROM_NETWORK);
            params.addAll(List.of(nowMs, nowMs, key, nowMs, network, network));
        }
        if (!network.isEmpty()) {
            sql.append(PAGE_NOT_NETWORK).append(PAGE_NOT_PROPOSERS_NETWORK);
            params.addAll(List.of(network, ReplicaNetworks.heldAfter(nowMs), network));
        }
        sql.append(PAGE_ORDER);
        params.addAll(List.of(limit, offset));
        if (!locks) {
            return q.list(sql.toString(), this::unitKeepingSeed, params.toArray());
        }
        // Several claims read the head of the queue at once: each locks the units it reads and
        // passes over those another holds, and a unit leased (or closed) since this statement
        // began is seen as last committed and left out, so no unit is leased twice.
        sql.append(" FOR UPDATE OF u SKIP LOCKED");
        Map<String, Long> reservedUntil = new HashMap<>();
        Map<String, String> closures = new HashMap<>();
        List<UnitRecord> page = q.list(sql.toString(), rs -> {
            UnitRecord unit = unitKeepingSeed(rs);
            long until = rs.getLong(15);
            if (!rs.wasNull()) {
                reservedUntil.put(unit.id(), until);
            }
            closures.put(unit.direction(), rs.getString(16));
            return unit;
        }, params.toArray());
        directions.keepClosures(closures);
        // A reservation committed after this statement began was not seen by its test, but the
        // unit's row, locked here, is the one last committed, and whoever reserves a unit writes
        // its deadline there (settlement locks a trial's units before it reserves them): only
        // units whose deadline lasts until now have reservations to read, which none has unless a
        // spot check is waiting.
        List<String> mayBeReserved = page.stream().map(UnitRecord::id)
                .filter(id -> reservedUntil.getOrDefault(id, Long.MIN_VALUE) >= nowMs).toList();
        Map<String, List<ByteString>> reserved = new HashMap<>();
        if (!mayBeReserved.isEmpty()) {
            q.list("SELECT unit_id, node FROM unit_reservations WHERE until_ms >= ? AND unit_id IN ("
                    + String.join(", ", Collections.nCopies(mayBeReserved.size(), "?")) + ") ORDER BY unit_id, node",
                    rs -> reserved.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                            .add(ByteString.copyFrom(rs.getBytes(2))), withFirst(nowMs, mayBeReserved));
        }
        return page.stream().filter(u -> reservationAdmits(u, reserved.getOrDefault(u.id(), List.of()), node, network,
                nowMs)).toList();
    }

    private static Object[] withFirst(Object first, List<String> rest) {
        Object[] all = new Object[rest.size() + 1];
        all[0] = first;
        for (int i = 0; i < rest.size(); i++) {
            all[i + 1] = rest.get(i);
        }
        return all;
    }

    /** A row of the page: its unit, whose random seed (column 14), or that it has none, is kept for the transaction. */
    private UnitRecord unitKeepingSeed(ResultSet rs) throws SQLException {
        UnitRecord unit = Rows.unit(rs);
        long seed = rs.getLong(14);
        units.keepRandomSeed(unit.id(), rs.wasNull() ? List.of() : List.of(seed));
        return unit;
    }

    /**
     * The open queue, loaded from the database the first time; null when it cannot serve this
     * transaction: it is not kept (too many open units), or it is not loaded yet and this
     * transaction already wrote units (what it would read holds writes that may be rolled back).
     */
    private OwnedReads.OpenUnits sharedQueue() {
        OwnedReads.OpenUnits queue = owned.openUnits;
        if (!queue.loaded()) {
            if (!writes.none() || !queue.mayLoad()) {
                return null;
            }
            List<OwnedReads.Queued> open = q.list("SELECT " + UNIT_COLUMNS + ", seq FROM units WHERE state = ? "
                            + "AND kind = ? ORDER BY seq LIMIT ?", rs -> new OwnedReads.Queued(rs.getLong(14), Rows.unit(rs)),
                    OPEN, EVALUATE, OwnedReads.OpenUnits.MAX_UNITS + 1);
            queue.load(open.size() > OwnedReads.OpenUnits.MAX_UNITS ? null : open);
            if (!queue.loaded()) {
                return null;
            }
        }
        return queue;
    }

    /** A trial: one commit at one random seed (null when the unit has none). */
    private record Trial(String commit, Long randomSeed) {
    }

    /**
     * The claim page from the open queue, with the same tests as the statement, in the same
     * order (the units' sequence numbers): a unit is left out when {@code node} already reported
     * on its trial (the commit's results, kept for settlement), holds a lease on it (the kept
     * leases), its network leased the trial lately (the commit's network leases, kept), or it is
     * reserved until now for other keys (read per unit, only while some reservation lasts). The
     * queue is seen with this transaction's own unit writes on top.
     */
    private List<UnitRecord> walkQueue(OwnedReads.OpenUnits queue, ByteString node, String network, long nowMs,
            int offset, int limit) {
        List<UnitRecord> page = new ArrayList<>();
        if (limit <= 0) {
            return page;
        }
        Set<Trial> held = units.heldFromMemory(node) > 0 ? trialsHeldBy(node) : Set.of();
        boolean someReserved = !noReservationLastsUntil(nowMs);
        int skipped = 0;
        for (Iterator<UnitRecord> queued = queueAsWritten(queue); queued.hasNext(); ) {
            UnitRecord u = queued.next();
            Trial trial = new Trial(u.commit(), units.randomSeedOrNull(u.id()));
            if (held.contains(trial) || reportedOn(node, trial) || !networkMayTake(network, trial, nowMs)
                    || (someReserved && !reservationAdmits(u, node, network, nowMs))) {
                continue;
            }
            if (skipped < offset) {
                skipped++;
                continue;
            }
            page.add(u);
            if (page.size() == limit) {
                break;
            }
        }
        return page;
    }

    /** The shared queue in order, less the units this transaction wrote, merged with those it made open. */
    private Iterator<UnitRecord> queueAsWritten(OwnedReads.OpenUnits queue) {
        Map<String, Optional<OwnedReads.Queued>> queueWrites = writes.queue;
        if (queueWrites.isEmpty()) {
            return queue.inOrder().iterator();
        }
        TreeMap<Long, UnitRecord> mine = new TreeMap<>();
        queueWrites.values().forEach(w -> w.ifPresent(x -> mine.put(x.seq(), x.unit())));
        Iterator<Map.Entry<Long, UnitRecord>> shared = queue.entries().iterator();
        Iterator<Map.Entry<Long, UnitRecord>> own = mine.entrySet().iterator();
        // A lazy merge of the two ordered sequences: a claim usually takes one of the first units.
        return new Iterator<>() {
            private Map.Entry<Long, UnitRecord> a = nextShared();
            private Map.Entry<Long, UnitRecord> b = own.hasNext() ? own.next() : null;

            private Map.Entry<Long, UnitRecord> nextShared() {
                while (shared.hasNext()) {
                    Map.Entry<Long, UnitRecord> e = shared.next();
                    if (!queueWrites.containsKey(e.getValue().id())) {
                        return e;
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return a != null || b != null;
            }

            @Override
            public UnitRecord next() {
                if (a == null && b == null) {
                    throw new NoSuchElementException();
                }
                if (b == null || (a != null && a.getKey() < b.getKey())) {
                    UnitRecord u = a.getValue();
                    a = nextShared();
                    return u;
                }
                UnitRecord u = b.getValue();
                b = own.hasNext() ? own.next() : null;
                return u;
            }
        };
    }

    /** The trials of the units leased to {@code node}, this transaction's own writes included. */
    private Set<Trial> trialsHeldBy(ByteString node) {
        OwnedReads.LeasedUnits shared = units.sharedLeases();
        Set<Trial> trials = new HashSet<>();
        for (String id : shared.unitsHeldBy(node)) {
            if (!writes.states.containsKey(id)) {
                trials.add(new Trial(shared.lease(id).unit().commit(), units.randomSeedOrNull(id)));
            }
        }
        for (Optional<OwnedReads.Lease> write : writes.states.values()) {
            if (write.isPresent() && node.equals(write.get().holder())) {
                trials.add(new Trial(write.get().unit().commit(), units.randomSeedOrNull(write.get().unit().id())));
            }
        }
        return trials;
    }

    /** Whether {@code node} stored a result on a unit of this trial (the results of its commit). */
    private boolean reportedOn(ByteString node, Trial trial) {
        for (Trials.Entry e : results.resultEntries(trial.commit())) {
            if (e.result().getRunner().equals(node)
                    && Objects.equals(units.randomSeedOrNull(e.result().getWorkUnitId()), trial.randomSeed())) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@link ReplicaNetworks#mayTake} over the trial's leases from networks, and never from the
     * network its commit was registered from; no look at all for a claimant with none.
     */
    private boolean networkMayTake(String network, Trial trial, long nowMs) {
        if (network.isEmpty()) {
            return true;
        }
        if (results.experimentNetwork(trial.commit()).equals(network)) {
            return false;
        }
        List<ReplicaNetworks.Lease> leases = new ArrayList<>();
        for (OwnedReads.NetworkLease l : units.networkLeases(trial.commit())) {
            if (Objects.equals(l.randomSeed(), trial.randomSeed())) {
                leases.add(l.lease());
            }
        }
        return ReplicaNetworks.mayTake(network, leases, nowMs);
    }

    /**
     * Whether a unit reserved until now for chosen keys (a spot check's replica or tie-breaker) may
     * go to this claim: to one of those keys only, and not from a network that leased its trial or
     * sent a result of it before, however long ago (nor from the network that registered its
     * commit, kept off every unit of it). A key is chosen by the networks it announced, claimed,
     * reported and proposed from, but its claim may come from anywhere, and the trial's hold
     * ({@link ReplicaNetworks#HOLD}) has often passed by the time a check is reserved: the checked
     * runner's second key could claim the check from the runner's own network.
     */
    private boolean reservationAdmits(UnitRecord unit, ByteString node, String network, long nowMs) {
        return reservationAdmits(unit, reservation(unit.id(), nowMs), node, network, nowMs);
    }

    /** {@link #reservationAdmits} with the unit's reservation until now already read: {@code keys}. */
    private boolean reservationAdmits(UnitRecord unit, List<ByteString> keys, ByteString node, String network,
            long nowMs) {
        return keys.isEmpty() || (keys.contains(node) && !trialLeasedFrom(network, unit)
                && !trialReportedFrom(network, unit)
                && (network.isEmpty() || !results.experimentNetwork(unit.commit()).equals(network)));
    }

    /** Whether a result of the unit's trial was sent from {@code network} (never for none). */
    private boolean trialReportedFrom(String network, UnitRecord unit) {
        Long randomSeed = units.randomSeedOrNull(unit.id());
        for (String reported : results.unitsReportedFrom(unit.commit(), network)) {
            if (Objects.equals(units.randomSeedOrNull(reported), randomSeed)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a lease of the unit's trial, at any time, was claimed from {@code network} (never for none). */
    private boolean trialLeasedFrom(String network, UnitRecord unit) {
        if (network.isEmpty()) {
            return false;
        }
        Long randomSeed = units.randomSeedOrNull(unit.id());
        for (OwnedReads.NetworkLease l : units.networkLeases(unit.commit())) {
            if (Objects.equals(l.randomSeed(), randomSeed) && l.lease().network().equals(network)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether no reservation lasts until {@code nowMs}, known without reading every unit's: the
     * latest deadline of any reservation is kept (loaded once; it only grows, by this store's own
     * writes) and this transaction's own are added. False (test each unit) when unsure.
     */
    private boolean noReservationLastsUntil(long nowMs) {
        if (!owned.enabled()) {
            return false;
        }
        Long latest = owned.reservedUntil.get();
        if (latest == null) {
            // Includes this transaction's own reservations: a deadline too late only costs the test.
            latest = q.count("SELECT COALESCE(MAX(until_ms), ?) FROM unit_reservations", Long.MIN_VALUE);
            owned.reservedUntil.put(latest);
        }
        return Math.max(latest, writes.reservedUntil()) < nowMs;
    }
}
