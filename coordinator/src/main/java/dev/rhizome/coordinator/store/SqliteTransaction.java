package dev.rhizome.coordinator.store;

import dev.rhizome.protocol.envelope.Envelopes;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.rhizome.coordinator.core.DirectionLoad;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The queries behind {@link Store.Transaction}, for both stores: the SQL here is written so that
 * SQLite and PostgreSQL both accept it (where they differ, {@link Dialect} says how). One instance
 * serves one transaction on one connection. The name is historical; it is the JDBC transaction.
 */
final class SqliteTransaction implements Store.Transaction {
    private static final int OPEN = UnitStatus.State.OPEN_VALUE;
    private static final int LEASED = UnitStatus.State.LEASED_VALUE;
    private static final int DONE = UnitStatus.State.DONE_VALUE;
    private static final int EVALUATE = WorkUnit.Kind.EVALUATE_VALUE;
    private static final int EXPLORE = WorkUnit.Kind.EXPLORE_VALUE;
    private static final String UNIT_COLUMNS = "id, kind, seed, direction, commit_id, parent, proposer, state, holder, "
            + "lease_deadline_ms, attempts, expired_leases, created_ms";
    /*
     * A small table's rows take their envelope's bytes through a correlated look-up by primary key,
     * not a join: PostgreSQL plans a join from table statistics, and a directions or seeds table
     * that barely changes is never re-analysed, so with the default guess of hundreds of rows it
     * hashed the whole envelopes table for each read (12 ms a read at 10,000 envelopes, on every
     * claim and result). A look-up per row is one index probe whatever the statistics say.
     */
    private static final String DIRECTION_COLUMNS = "(SELECT e.bytes FROM envelopes e WHERE e.seq = d.envelope_seq), "
            + "d.frontier_commit, d.frontier_metric, d.frontier_class, d.baseline_metric";
    private static final String SEED_BYTES = "(SELECT e.bytes FROM envelopes e WHERE e.seq = s.envelope_seq)";

    private final Connection connection;
    private final Statements statements;
    /*
     * Reads a claim or a result repeats within its transaction (its seed's manifest, its
     * direction, a commit's results), remembered for this transaction only and forgotten by any
     * write that could change them. A transaction is one caller's work: the SQLite store gives
     * each caller in a group commit its own instance, so a caller rolled back to its savepoint
     * leaves nothing behind for the next.
     */
    private final Map<String, Optional<Stored<Seed>>> seedMemo = new java.util.HashMap<>();
    private final Map<String, Optional<DirectionRecord>> directionMemo = new java.util.HashMap<>();
    private final Map<String, List<Trials.Entry>> resultEntriesMemo = new java.util.HashMap<>();
    private final Map<String, List<OwnedReads.NetworkLease>> networkLeasesMemo = new java.util.HashMap<>();

    /** Validation states this transaction knows without a read: none for a result it just stored. */
    private final Map<String, Optional<ResultVerdict.State>> resultStateMemo = new java.util.HashMap<>();
    /** A trial's hardware classes on reputation, by commit and random seed, as this transaction read them. */
    private final Map<String, Set<String>> reputationClassMemo = new java.util.HashMap<>();

    private final SeedCache seeds;
    /** Set once this transaction inserts a seed: until it commits, what it reads is not shared. */
    private boolean insertedSeed;

    /*
     * Reads shared across transactions where one process owns the database (OwnedReads says
     * when that is). What this transaction wrote is neither taken from there nor put back until
     * it ends: it may still roll back to its savepoint.
     */
    private final OwnedReads owned;
    private boolean wroteDirections;
    private boolean wroteClosures;
    private boolean wrotePeers;
    private final Set<String> wroteExperiments = new java.util.HashSet<>();
    private final Set<String> wroteUnitSeeds = new java.util.HashSet<>();
    private final Set<ByteString> wroteReputations = new java.util.HashSet<>();
    private final Set<ByteString> wroteProposers = new java.util.HashSet<>();
    private final Set<String> wroteResultsFor = new java.util.HashSet<>();
    private final Set<String> wroteNetworkLeasesFor = new java.util.HashSet<>();
    /** What this transaction wrote, put into the shared reads once its group has committed. */
    private final List<Runnable> afterCommit = new ArrayList<>();
    /*
     * Units whose state this transaction wrote (their holder when now LEASED, else empty) and the
     * leases it recorded, by key and time: the claimant's counts are the shared ones with these
     * applied, and these are applied to the shared ones once its savepoint is released (later
     * callers of the same group read the database as it is then; a failed commit forgets all).
     */
    private final Map<String, Optional<OwnedReads.Lease>> unitStates = new java.util.LinkedHashMap<>();
    /*
     * The same writes as the open queue sees them: a unit now OPEN EVALUATE with its place, or
     * empty when it left the queue (or was never in it). Applied like unitStates.
     */
    private final Map<String, Optional<OwnedReads.Queued>> queueWrites = new java.util.LinkedHashMap<>();
    /** Rows of the units this transaction wrote, as stored, and the sequence numbers it learned. */
    private final Map<String, UnitRecord> ownRows = new java.util.HashMap<>();
    private final Map<String, Long> ownSeqs = new java.util.HashMap<>();
    private final List<Map.Entry<ByteString, Long>> leasesRecorded = new ArrayList<>();
    /** The latest deadline of the reservations this transaction made; applied like the leases above. */
    private long reservedUntil = Long.MIN_VALUE;

    SqliteTransaction(Connection connection) {
        this(connection, Statements.uncached(connection), new SeedCache(), OwnedReads.none());
    }

    SqliteTransaction(Connection connection, Statements statements, SeedCache seeds, OwnedReads owned) {
        this.connection = connection;
        this.statements = statements;
        this.seeds = seeds;
        this.owned = owned;
        this.shared = false;
        this.writersLock = 0;
    }

    /**
     * A writing transaction of {@link PostgresStore}, which locks what it changes (see there): the
     * writers' lock (its second key given here), its keys', and the units it reads to change.
     */
    SqliteTransaction(Connection connection, Statements statements, SeedCache seeds, OwnedReads owned,
            int writersLock) {
        this.connection = connection;
        this.statements = statements;
        this.seeds = seeds;
        this.owned = owned;
        this.shared = true;
        this.writersLock = writersLock;
    }

    private final boolean shared;
    private final int writersLock;
    /** Whether this transaction holds the writers' lock (PostgreSQL). */
    private boolean serialized;

    /**
     * Makes rows keyed by a sequence (envelopes, units, adoptions) commit in the order of their
     * keys, which keyset paging relies on: a page that ends at key k must never meet a row with a
     * smaller key later. SQLite has one writer, so that holds already. PostgreSQL hands out
     * sequence numbers at insert time to transactions that commit in parallel, so key 100 could
     * commit after key 101 was read and be skipped by every later page; there, a transaction
     * holds the writers' lock before its first such insert until it ends (it is released after
     * the commit is visible), so the next transaction's keys are all larger and committed later.
     * Every writer but a claim holds it from its start; a claim that adds a unit joins it first.
     */
    private void appendInOrder() {
        serializeWithWriters();
    }

    @Override
    public boolean serializeWithWriters() {
        if (!shared || serialized) {
            return false;
        }
        query("SELECT pg_advisory_xact_lock(?, ?)", rs -> Boolean.TRUE, PostgresStore.LOCK_SPACE, writersLock);
        serialized = true;
        // What was read before the wait may have changed since (seeds never do).
        directionMemo.clear();
        resultEntriesMemo.clear();
        networkLeasesMemo.clear();
        resultStateMemo.clear();
        reputationClassMemo.clear();
        return true;
    }

    /** Takes the transaction-scoped locks of a keyed transaction (PostgreSQL), in the order given. */
    void lockKeys(int[] keys) {
        for (int key : keys) {
            query("SELECT pg_advisory_xact_lock(?, ?)", rs -> Boolean.TRUE, PostgresStore.KEY_SPACE, key);
        }
    }

    /**
     * Appended to a read of units this transaction may change: under the writers' lock a shared
     * store locks them, waiting for a claim that holds one and then reading it as that claim left
     * it. Claims never wait for a row (they skip locked ones, see the claim page).
     */
    private String lockingRead(String tables) {
        return serialized ? " FOR UPDATE" + tables : "";
    }

    /**
     * A read through {@code shared}: taken from there unless this transaction wrote the key, and
     * put there when read from the database (unless written here, or absent: {@code read} gives null).
     */
    private static <K, V> V through(OwnedReads.Keyed<K, V> shared, Set<K> written, K key,
            java.util.function.Function<K, V> read) {
        if (written.contains(key)) {
            return read.apply(key);
        }
        V hit = shared.get(key);
        if (hit != null) {
            return hit;
        }
        V value = read.apply(key);
        if (value != null) {
            shared.put(key, value);
        }
        return value;
    }

    /** Run by the store once this transaction is committed, in the order written (never if it rolled back). */
    List<Runnable> afterCommit() {
        return afterCommit;
    }

    /**
     * Called by the store once this caller's savepoint is released, so the group's later callers
     * see its leases in the shared counts as they see them in the database. Never if it rolled
     * back; a failed group commit clears the shared reads.
     */
    void released() {
        Long latestReservation = owned.reservedUntil.get();
        if (latestReservation != null && reservedUntil > latestReservation) {
            owned.reservedUntil.put(reservedUntil);
        }
        unitStates.forEach((id, lease) -> owned.leasedUnits.set(id, lease.orElse(null)));
        for (Map.Entry<String, Optional<OwnedReads.Queued>> write : queueWrites.entrySet()) {
            if (write.getValue().isPresent() && write.getValue().get().seq() < 0) {
                owned.openUnits.clear();  // its place is not known: the next claim loads the queue again
            } else {
                owned.openUnits.set(write.getKey(), write.getValue().orElse(null));
            }
        }
        for (Map.Entry<ByteString, Long> lease : leasesRecorded) {
            OwnedReads.LeaseCount known = owned.leasesSince.get(lease.getKey());
            if (known != null && lease.getValue() >= known.sinceMs()) {
                owned.leasesSince.put(lease.getKey(), new OwnedReads.LeaseCount(known.sinceMs(), known.count() + 1));
            }
        }
    }

    private static <K, V> void wrote(OwnedReads.Keyed<K, V> shared, Set<K> written, K key) {
        shared.remove(key);
        written.add(key);
    }

    // --- seeds and directions -------------------------------------------------------------

    @Override
    public Optional<Stored<Seed>> seed(String name) {
        Optional<Stored<Seed>> memo = seedMemo.get(name);
        if (memo != null) {
            return memo;
        }
        Optional<Stored<Seed>> shared = seeds.get(name);
        if (shared.isPresent()) {
            return shared;
        }
        Optional<Stored<Seed>> read = readSeed(name);
        seedMemo.put(name, read);
        if (read.isPresent() && !insertedSeed) {
            seeds.put(name, read.get());
        }
        return read;
    }

    private Optional<Stored<Seed>> readSeed(String name) {
        return first(query("SELECT " + SEED_BYTES + " FROM seeds s WHERE s.name = ?",
                rs -> stored(rs.getBytes(1), Seed.parser()), name));
    }

    @Override
    public List<Stored<Seed>> seeds() {
        return query("SELECT " + SEED_BYTES + " FROM seeds s ORDER BY s.envelope_seq",
                rs -> stored(rs.getBytes(1), Seed.parser()));
    }

    @Override
    public void insertSeed(Seed seed, SignedEnvelope envelope, long nowMs) {
        seedMemo.clear();
        insertedSeed = true;
        long seq = insertEnvelope(envelope, Envelopes.id(envelope), nowMs);
        update("INSERT INTO seeds (name, commit_id, envelope_seq) VALUES (?, ?, ?)", seed.getName(), seed.getCommit(), seq);
    }

    @Override
    public Optional<DirectionRecord> direction(String name) {
        if (owned.enabled() && !wroteDirections) {
            return Optional.ofNullable(sharedDirections().byName().get(name));
        }
        Optional<DirectionRecord> memo = directionMemo.get(name);
        if (memo != null) {
            return memo;
        }
        Optional<DirectionRecord> read = readDirection(name);
        directionMemo.put(name, read);
        return read;
    }

    private Optional<DirectionRecord> readDirection(String name) {
        return first(query("SELECT " + DIRECTION_COLUMNS
                + " FROM directions d WHERE d.name = ?", this::direction, name));
    }

    @Override
    public List<DirectionRecord> directions() {
        if (owned.enabled() && !wroteDirections) {
            return sharedDirections().inOrder();
        }
        return readDirections();
    }

    private OwnedReads.Directions sharedDirections() {
        OwnedReads.Directions hit = owned.directions.get();
        if (hit == null) {
            hit = OwnedReads.Directions.of(readDirections());
            owned.directions.put(hit);
        }
        return hit;
    }

    private List<DirectionRecord> readDirections() {
        return query("SELECT " + DIRECTION_COLUMNS
                + " FROM directions d ORDER BY d.envelope_seq", this::direction);
    }

    private void wroteDirections() {
        directionMemo.clear();
        owned.directions.clear();
        wroteDirections = true;
    }

    @Override
    public void insertDirection(Direction direction, SignedEnvelope envelope, long nowMs) {
        wroteDirections();
        long seq = insertEnvelope(envelope, Envelopes.id(envelope), nowMs);
        update("INSERT INTO directions (name, seed, base_commit, envelope_seq, frontier_commit) VALUES (?, ?, ?, ?, ?)",
                direction.getName(), direction.getSeed(), direction.getBaseCommit(), seq, direction.getBaseCommit());
    }

    @Override
    public void updateFrontier(String direction, Frontier frontier) {
        wroteDirections();
        update("UPDATE directions SET frontier_commit = ?, frontier_metric = ?, frontier_class = ? WHERE name = ?",
                frontier.commit(), frontier.metric().isPresent() ? frontier.metric().getAsDouble() : null,
                frontier.hardwareClass(), direction);
    }

    @Override
    public void setBaselineMetric(String direction, double metric) {
        wroteDirections();
        update("UPDATE directions SET baseline_metric = ? WHERE name = ?", metric, direction);
    }

    // --- operators' closures and bans ----------------------------------------------------------

    @Override
    public boolean closeDirection(String direction, String reason, long nowMs) {
        owned.closures.clear();
        wroteClosures = true;
        return update("INSERT INTO direction_closures (direction, reason, closed_ms) VALUES (?, ?, ?) "
                + "ON CONFLICT DO NOTHING", direction, reason, nowMs) > 0;
    }

    @Override
    public java.util.Map<String, String> closedDirections() {
        Map<String, String> hit = wroteClosures ? null : owned.closures.get();
        if (hit != null) {
            return new java.util.TreeMap<>(hit);
        }
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        query("SELECT direction, reason FROM direction_closures", rs -> out.put(rs.getString(1), rs.getString(2)));
        if (!wroteClosures) {
            owned.closures.put(Map.copyOf(out));
        }
        return out;
    }

    @Override
    public boolean banKey(com.google.protobuf.ByteString key, String reason, long nowMs) {
        return update("INSERT INTO key_bans (node, reason, banned_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                key.toByteArray(), reason, nowMs) > 0;
    }

    @Override
    public java.util.Map<com.google.protobuf.ByteString, String> bannedKeys() {
        java.util.Map<com.google.protobuf.ByteString, String> out = new java.util.HashMap<>();
        query("SELECT node, reason FROM key_bans",
                rs -> out.put(com.google.protobuf.ByteString.copyFrom(rs.getBytes(1)), rs.getString(2)));
        return out;
    }

    // --- experiments -------------------------------------------------------------------------

    @Override
    public Optional<Stored<Experiment>> experiment(String commit) {
        return Optional.ofNullable(through(owned.experiments, wroteExperiments, commit,
                c -> readExperiment(c).orElse(null)));
    }

    private Optional<Stored<Experiment>> readExperiment(String commit) {
        return first(query("SELECT e.bytes FROM experiments x JOIN envelopes e ON e.seq = x.envelope_seq "
                + "WHERE x.commit_id = ?", rs -> stored(rs.getBytes(1), Experiment.parser()), commit));
    }

    @Override
    public List<Stored<Experiment>> experiments(String direction) {
        return query("SELECT e.bytes FROM experiments x JOIN envelopes e ON e.seq = x.envelope_seq "
                        + "WHERE ? = '' OR x.direction = ? ORDER BY x.envelope_seq",
                rs -> stored(rs.getBytes(1), Experiment.parser()), direction, direction);
    }

    @Override
    public void insertExperiment(Experiment experiment, SignedEnvelope envelope, long nowMs) {
        wrote(owned.experiments, wroteExperiments, experiment.getCommit());
        Stored<Experiment> stored = new Stored<>(experiment, envelope);
        afterCommit.add(() -> owned.experiments.put(experiment.getCommit(), stored));
        long seq = insertEnvelope(envelope, Envelopes.id(envelope), nowMs);
        update("INSERT INTO experiments (commit_id, seed, direction, envelope_seq) VALUES (?, ?, ?, ?)",
                experiment.getCommit(), experiment.getSeed(), experiment.getDirection(), seq);
        String commit = experiment.getCommit();
        if (owned.enabled() && !wroteResultsFor.contains(commit) && !resultEntriesMemo.containsKey(commit)) {
            // Every result for this commit reads its results first (one read a cycle, on the hot
            // path); a new experiment almost never has any yet, so they are read here, once, and
            // kept. A caller later in the same group that stores a result for it puts its own view
            // after this one (commit order), so this never overwrites a newer list.
            List<Trials.Entry> known = readResultEntries(commit);
            afterCommit.add(() -> owned.resultEntries.put(commit, known));
        }
    }

    // --- results -----------------------------------------------------------------------------

    @Override
    public Optional<Stored<Result>> resultByEnvelopeId(String envelopeId) {
        return first(query("SELECT e.bytes FROM envelopes e JOIN results r ON r.envelope_seq = e.seq WHERE e.id = ?",
                rs -> stored(rs.getBytes(1), Result.parser()), envelopeId));
    }

    @Override
    public Optional<Stored<Result>> resultOfUnit(String unitId, ByteString runner) {
        return first(query("SELECT e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                + "WHERE r.unit_id = ? AND r.runner = ?", rs -> stored(rs.getBytes(1), Result.parser()),
                unitId, runner.toByteArray()));
    }

    @Override
    public void insertResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs) {
        insertResult(result, envelope, envelopeId, nowMs, false);
    }

    @Override
    public void insertLateResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs) {
        insertResult(result, envelope, envelopeId, nowMs, true);
    }

    private void insertResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs, boolean late) {
        String commit = result.getCommit();
        // result_states rows are written for stored results only, so a new one has none yet
        resultStateMemo.put(envelopeId, Optional.empty());
        long seq = insertEnvelope(envelope, envelopeId, nowMs);
        update("INSERT INTO results (envelope_seq, unit_id, direction, commit_id, runner, late) VALUES (?, ?, ?, ?, ?, ?)",
                seq, result.getWorkUnitId(), result.getDirection(), commit, result.getRunner().toByteArray(), late ? 1 : 0);
        // it has the largest sequence number, so it comes last
        appendKept(resultEntriesMemo, owned.resultEntries, wroteResultsFor, commit,
                new Trials.Entry(envelopeId, result, late));
    }

    /**
     * Adds {@code item} to the end of the list kept under {@code key} (a commit's results, or its
     * network leases), where the list before it is known without a read, instead of reading it
     * back. After the commit the shared list is this transaction's last view of the key, or none:
     * the last writer of a key in a group commit runs last, so its view is the committed one.
     */
    private <V> void appendKept(Map<String, List<V>> memo, OwnedReads.Keyed<String, List<V>> shared,
            Set<String> written, String key, V item) {
        List<V> before = memo.containsKey(key) ? memo.get(key) : written.contains(key) ? null : shared.get(key);
        wrote(shared, written, key);
        if (before != null) {
            List<V> after = new ArrayList<>(before);
            after.add(item);
            memo.put(key, List.copyOf(after));
        } else {
            memo.remove(key);
        }
        afterCommit.add(() -> {
            List<V> last = memo.get(key);
            if (last != null) {
                shared.put(key, last);
            } else {
                shared.remove(key);
            }
        });
    }

    @Override
    public List<Result> resultsForCommit(String commit) {
        return query("SELECT e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                + "WHERE r.commit_id = ? AND r.late = 0 ORDER BY r.envelope_seq",
                rs -> stored(rs.getBytes(1), Result.parser()).record(),
                commit);
    }

    @Override
    public List<SignedEnvelope> resultEnvelopes(String direction, String commit) {
        return query("SELECT e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "WHERE (? = '' OR r.direction = ?) AND (? = '' OR r.commit_id = ?) ORDER BY r.envelope_seq",
                rs -> envelope(rs.getBytes(1)), direction, direction, commit, commit);
    }

    @Override
    public int countResults(String direction) {
        return (int) count("SELECT COUNT(*) FROM results WHERE direction = ?", direction);
    }

    // --- units -------------------------------------------------------------------------------

    @Override
    public Optional<UnitRecord> unit(String id) {
        if (owned.leasedUnits.loaded() && !unitStates.containsKey(id)) {
            // A result's unit is almost always leased (to its runner), and leased units' rows are
            // kept (loaded by every claim's expiry check); one this transaction wrote is read
            // back, as it may yet be rolled back.
            OwnedReads.Lease leased = owned.leasedUnits.lease(id);
            if (leased != null) {
                return Optional.of(leased.unit());
            }
        }
        return first(query("SELECT " + UNIT_COLUMNS + " FROM units WHERE id = ?" + lockingRead(""),
                SqliteTransaction::unit, id));
    }

    @Override
    public void insertUnit(UnitRecord u) {
        appendInOrder();
        String sql = "INSERT INTO units (" + UNIT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        Object[] params = {u.id(), u.kind().getNumber(), u.seed(), u.direction(), u.commit(), u.parent(),
                u.proposer().toByteArray(), u.state().getNumber(), u.holder().toByteArray(), u.leaseDeadlineMs(),
                u.attempts(), u.expiredLeases(), u.createdMs()};
        if (owned.enabled()) {
            // its place in the open queue (the claim order) is its sequence number
            ownSeqs.put(u.id(), count(sql + " RETURNING seq", params));
            wroteUnitState(u, true);
        } else {
            update(sql, params);
        }
    }

    /**
     * Notes a unit's new state for the kept leases and open queue (see {@link #released()}). An
     * update writes only the columns that change (state, holder, deadline, counts, commit), so the
     * row kept is the written one with the other columns taken from any earlier row of the unit;
     * when none is known and a kept structure needs the row, it is read back.
     */
    private void wroteUnitState(UnitRecord written, boolean inserted) {
        if (!owned.enabled()) {
            return;
        }
        String id = written.id();
        UnitRecord prior = inserted ? written : knownRow(id);
        UnitRecord row = prior == null ? written : asUpdated(prior, written);
        boolean leased = row.state() == UnitStatus.State.LEASED;
        boolean open = isOpenEvaluation(row);
        long seq = knownSeq(id);
        boolean rowNeeded = (leased && owned.leasedUnits.loaded()) || (open && owned.openUnits.loaded());
        if ((prior == null && rowNeeded) || (open && seq < 0 && owned.openUnits.loaded())) {
            Map.Entry<Long, UnitRecord> read = first(query("SELECT " + UNIT_COLUMNS + ", seq FROM units WHERE id = ?",
                    rs -> Map.entry(rs.getLong(14), unit(rs)), id)).orElseThrow();
            seq = read.getKey();
            row = read.getValue();
            ownSeqs.put(id, seq);
            open = isOpenEvaluation(row);
            leased = row.state() == UnitStatus.State.LEASED;
        }
        ownRows.put(id, row);
        unitStates.put(id, leased ? Optional.of(new OwnedReads.Lease(row, seq)) : Optional.empty());
        queueWrites.put(id, open ? Optional.of(new OwnedReads.Queued(seq, row)) : Optional.empty());
    }

    private static boolean isOpenEvaluation(UnitRecord u) {
        return u.state() == UnitStatus.State.OPEN && u.kind() == WorkUnit.Kind.EVALUATE;
    }

    /** {@code written} as the database holds it after the update: the columns it does not write from {@code prior}. */
    private static UnitRecord asUpdated(UnitRecord prior, UnitRecord written) {
        return new UnitRecord(prior.id(), prior.kind(), prior.seed(), prior.direction(), written.commit(),
                prior.parent(), prior.proposer(), written.state(), written.holder(), written.leaseDeadlineMs(),
                written.attempts(), written.expiredLeases(), prior.createdMs());
    }

    /** Some row of the unit known without a read (its unchanging columns are all that is used), else null. */
    private UnitRecord knownRow(String id) {
        UnitRecord mine = ownRows.get(id);
        if (mine != null) {
            return mine;
        }
        UnitRecord queued = owned.openUnits.loaded() ? owned.openUnits.unit(id) : null;
        if (queued != null) {
            return queued;
        }
        OwnedReads.Lease lease = owned.leasedUnits.loaded() ? owned.leasedUnits.lease(id) : null;
        return lease == null ? null : lease.unit();
    }

    /** The unit's sequence number where known without a read (it never changes), else -1. */
    private long knownSeq(String id) {
        Long mine = ownSeqs.get(id);
        if (mine != null) {
            return mine;
        }
        long queued = owned.openUnits.loaded() ? owned.openUnits.seqOf(id) : -1;
        if (queued >= 0) {
            return queued;
        }
        OwnedReads.Lease lease = owned.leasedUnits.loaded() ? owned.leasedUnits.lease(id) : null;
        return lease == null ? -1 : lease.seq();
    }

    @Override
    public void updateUnit(UnitRecord u) {
        int changed = update("UPDATE units SET state = ?, holder = ?, lease_deadline_ms = ?, attempts = ?, "
                        + "expired_leases = ?, commit_id = ? WHERE id = ?", u.state().getNumber(), u.holder().toByteArray(),
                u.leaseDeadlineMs(), u.attempts(), u.expiredLeases(), u.commit(), u.id());
        if (changed != 1) {
            throw new StoreException("no work unit " + u.id() + " to update", null);
        }
        wroteUnitState(u, false);
    }

    @Override
    public void recordLease(String unitId, ByteString holder, long nowMs, ByteString claimNonce, long signedMs,
            String network) {
        Long signed = signedMs == Long.MIN_VALUE ? null : signedMs;
        byte[] nonce = claimNonce.isEmpty() ? null : claimNonce.toByteArray();
        // The unit's commit goes with the lease, for the index a claim probes by trial and network.
        // Where the store keeps rows it is known (the claim just wrote the unit); a shared store
        // takes it in the same statement rather than one more round trip.
        UnitRecord known = knownRow(unitId);
        String commit = known != null ? known.commit() : owned.enabled()
                ? first(query("SELECT commit_id FROM units WHERE id = ?", rs -> rs.getString(1), unitId)).orElse("")
                : null;
        if (commit != null) {
            update("INSERT INTO unit_leases (unit_id, holder, leased_ms, claim_nonce, signed_ms, commit_id, network) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)", unitId, holder.toByteArray(), nowMs, nonce, signed, commit, network);
        } else {
            update("INSERT INTO unit_leases (unit_id, holder, leased_ms, claim_nonce, signed_ms, commit_id, network) "
                            + "VALUES (?, ?, ?, ?, ?, COALESCE((SELECT u.commit_id FROM units u WHERE u.id = ?), ''), ?)",
                    unitId, holder.toByteArray(), nowMs, nonce, signed, unitId, network);
        }
        if (owned.enabled()) {
            leasesRecorded.add(Map.entry(holder, nowMs));
            if (!network.isEmpty()) {
                appendKept(networkLeasesMemo, owned.networkLeases, wroteNetworkLeasesFor, commit,
                        new OwnedReads.NetworkLease(randomSeedOrNull(unitId), new ReplicaNetworks.Lease(network, nowMs)));
            }
        }
    }

    /** The commit's leases taken from a network, this transaction's included. */
    private List<OwnedReads.NetworkLease> networkLeases(String commit) {
        return networkLeasesMemo.computeIfAbsent(commit,
                c -> through(owned.networkLeases, wroteNetworkLeasesFor, c, this::readNetworkLeases));
    }

    private List<OwnedReads.NetworkLease> readNetworkLeases(String commit) {
        // network <> '' written out: only then may the planners use the partial index
        return List.copyOf(query("SELECT ns.random_seed, nl.network, nl.leased_ms FROM unit_leases nl "
                        + "LEFT JOIN unit_seeds ns ON ns.unit_id = nl.unit_id WHERE nl.commit_id = ? AND nl.network <> ''",
                rs -> {
                    long seed = rs.getLong(1);
                    return new OwnedReads.NetworkLease(rs.wasNull() ? null : seed,
                            new ReplicaNetworks.Lease(rs.getString(2), rs.getLong(3)));
                }, commit));
    }

    @Override
    public Optional<String> unitClaimedWith(ByteString node, ByteString claimNonce, long sinceMs) {
        return query("SELECT unit_id FROM unit_leases WHERE holder = ? AND leased_ms >= ? AND claim_nonce = ? "
                        + "ORDER BY leased_ms DESC LIMIT 1", rs -> rs.getString(1), node.toByteArray(), sinceMs,
                claimNonce.toByteArray()).stream().findFirst();
    }

    @Override
    public boolean everLeasedTo(String unitId, ByteString node) {
        return count("SELECT COUNT(*) FROM unit_leases WHERE unit_id = ? AND holder = ?", unitId, node.toByteArray()) > 0;
    }

    @Override
    public Set<ByteString> leaseHolders(String unitId) {
        return new LinkedHashSet<>(query("SELECT DISTINCT holder FROM unit_leases WHERE unit_id = ?",
                rs -> ByteString.copyFrom(rs.getBytes(1)), unitId));
    }

    @Override
    public List<UnitRecord> expiredLeases(long nowMs) {
        if (noLeaseExpiredBy(nowMs)) {
            return List.of();
        }
        // The state is written out, not bound: only then can the planner use the partial index on it.
        return query("SELECT " + UNIT_COLUMNS + " FROM units WHERE state = " + LEASED
                        + " AND lease_deadline_ms < ? ORDER BY seq" + lockingRead(""), SqliteTransaction::unit, nowMs);
    }

    @Override
    public int leasesHeldBy(ByteString node) {
        if (owned.enabled()) {
            return heldFromMemory(node);
        }
        return readLeasesHeld(node);
    }

    private int readLeasesHeld(ByteString node) {
        return (int) count("SELECT COUNT(*) FROM units WHERE holder = ? AND state = ?", node.toByteArray(), LEASED);
    }

    /** The shared leases, loaded from the database the first time. */
    private OwnedReads.LeasedUnits sharedLeases() {
        OwnedReads.LeasedUnits shared = owned.leasedUnits;
        if (!shared.loaded()) {
            // Includes this transaction's writes so far; applying them again changes nothing, as
            // each one sets a unit's lease rather than counting.
            Map<String, OwnedReads.Lease> leased = new java.util.HashMap<>();
            query("SELECT " + UNIT_COLUMNS + ", seq FROM units WHERE state = " + LEASED, rs -> {
                UnitRecord unit = unit(rs);
                return leased.put(unit.id(), new OwnedReads.Lease(unit, rs.getLong(14)));
            });
            if (!unitStates.isEmpty()) {
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
    private int heldFromMemory(ByteString node) {
        OwnedReads.LeasedUnits shared = sharedLeases();
        int held = shared.heldBy(node);
        for (Map.Entry<String, Optional<OwnedReads.Lease>> write : unitStates.entrySet()) {
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
        for (Optional<OwnedReads.Lease> write : unitStates.values()) {
            if (write.isPresent() && write.get().deadlineMs() < nowMs) {
                return false;
            }
        }
        return true;
    }

    /** Leases recorded by this transaction for {@code node} at or after {@code sinceMs}. */
    private int ownLeasesSince(ByteString node, long sinceMs) {
        int n = 0;
        for (Map.Entry<ByteString, Long> lease : leasesRecorded) {
            if (lease.getKey().equals(node) && lease.getValue() >= sinceMs) {
                n++;
            }
        }
        return n;
    }

    @Override
    public Claimant claimant(ByteString node, long sinceMs) {
        if (owned.enabled()) {
            // Kept in memory where one process owns the database: the daily count alone read one
            // index entry per lease of the day, on every claim.
            return new Claimant(heldFromMemory(node), reputation(node), leasesSince(node, sinceMs));
        }
        // One statement where three would each pay a round trip (sqlite-jdbc: a native call per
        // step and per column), on every claim. The derived one-row table makes the reputation optional.
        byte[] key = node.toByteArray();
        return query("SELECT (SELECT COUNT(*) FROM units WHERE holder = ? AND state = ?), "
                        + "(SELECT COUNT(*) FROM unit_leases WHERE holder = ? AND leased_ms >= ?), "
                        + REPUTATION_COLUMNS.replaceAll("(^|, )", "$1r.")
                        + " FROM (SELECT 1 AS one) k LEFT JOIN reputations r ON r.runner = ?",
                rs -> {
                    int held = rs.getInt(1);
                    int since = rs.getInt(2);
                    Optional<Reputation> reputation = rs.getBytes(3) == null ? Optional.empty()
                            : Optional.of(new Reputation(rs.getInt(4), rs.getInt(5), rs.getInt(6), rs.getInt(7),
                                    rs.getLong(8), rs.getInt(9)));
                    return new Claimant(held, reputation, since);
                }, key, LEASED, key, sinceMs, key).get(0);
    }

    @Override
    public int leaseRenewals(String unitId, ByteString holder) {
        return (int) count("SELECT COALESCE((SELECT renewals FROM unit_leases WHERE unit_id = ? AND holder = ? "
                + "ORDER BY leased_ms DESC LIMIT 1), 0)", unitId, holder.toByteArray());
    }

    @Override
    public boolean recordRenewal(String unitId, ByteString holder, long signedMs) {
        // The holder's latest lease of the unit (portable SQL: no rowid).
        byte[] key = holder.toByteArray();
        return update("UPDATE unit_leases SET renewals = renewals + 1, signed_ms = ? WHERE unit_id = ? AND holder = ? "
                + "AND leased_ms = (SELECT MAX(leased_ms) FROM unit_leases WHERE unit_id = ? AND holder = ?) "
                + "AND (signed_ms IS NULL OR signed_ms < ?)", signedMs, unitId, key, unitId, key, signedMs) > 0;
    }

    @Override
    public boolean useClaimNonce(ByteString node, ByteString nonce, long timeMs) {
        return update("INSERT INTO claim_nonces (node, nonce, time_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                node.toByteArray(), nonce.toByteArray(), timeMs) == 1;
    }

    @Override
    public Map<String, Integer> writeCounts(String kind, long dayMs, List<String> scopes) {
        Map<String, Integer> counts = new java.util.HashMap<>();
        if (scopes.isEmpty()) {
            return counts;
        }
        Object[] params = new Object[scopes.size() + 2];
        params[0] = kind;
        params[1] = dayMs;
        for (int i = 0; i < scopes.size(); i++) {
            params[i + 2] = scopes.get(i);
        }
        String marks = String.join(", ", java.util.Collections.nCopies(scopes.size(), "?"));
        for (Map.Entry<String, Integer> row : query("SELECT scope, writes FROM write_counts WHERE kind = ? AND day_ms = ? "
                + "AND scope IN (" + marks + ")", rs -> Map.entry(rs.getString(1), rs.getInt(2)), params)) {
            counts.put(row.getKey(), row.getValue());
        }
        return counts;
    }

    @Override
    public void countWrite(String kind, long dayMs, List<String> scopes) {
        for (String scope : scopes) {
            update("INSERT INTO write_counts (scope, kind, day_ms, writes) VALUES (?, ?, ?, 1) "
                    + "ON CONFLICT (scope, kind, day_ms) DO UPDATE SET writes = write_counts.writes + 1",
                    scope, kind, dayMs);
        }
    }

    @Override
    public int forgetWriteCounts(long beforeDayMs) {
        return update("DELETE FROM write_counts WHERE day_ms < ?", beforeDayMs);
    }

    @Override
    public boolean knownNode(ByteString node) {
        return count("SELECT COUNT(*) FROM nodes WHERE node = ?", (Object) node.toByteArray()) > 0;
    }

    @Override
    public int forgetClaimNonces(long beforeMs) {
        return update("DELETE FROM claim_nonces WHERE time_ms < ?", beforeMs);
    }

    @Override
    public List<UnitRecord> openEvaluations() {
        return query("SELECT " + UNIT_COLUMNS + " FROM units WHERE state = ? AND kind = ? ORDER BY seq",
                SqliteTransaction::unit, OPEN, EVALUATE);
    }

    @Override
    public List<UnitRecord> openEvaluationsFor(ByteString node, int offset, int limit) {
        return openEvaluationsFor(node, Long.MAX_VALUE, offset, limit);  // no reservation lasts that long
    }

    @Override
    public void reserveUnit(String unitId, List<ByteString> nodes, long untilMs) {
        if (!nodes.isEmpty()) {
            reservedUntil = Math.max(reservedUntil, untilMs);
        }
        for (ByteString node : nodes) {
            update("INSERT INTO unit_reservations (unit_id, node, until_ms) VALUES (?, ?, ?) "
                    + "ON CONFLICT (unit_id, node) DO UPDATE SET until_ms = excluded.until_ms", unitId,
                    node.toByteArray(), untilMs);
        }
    }

    @Override
    public List<ByteString> reservation(String unitId, long nowMs) {
        return query("SELECT node FROM unit_reservations WHERE unit_id = ? AND until_ms >= ? ORDER BY node",
                rs -> ByteString.copyFrom(rs.getBytes(1)), unitId, nowMs);
    }

    private static final String PAGE_SELECT = "SELECT " + UNIT_COLUMNS.replaceAll("(^|, )", "$1u.") + " FROM units u "
            + "LEFT JOIN unit_seeds s ON s.unit_id = u.id WHERE u.state = ? AND u.kind = ? "
            + "AND NOT EXISTS (SELECT 1 FROM results r LEFT JOIN unit_seeds rs ON rs.unit_id = r.unit_id "
            + "WHERE r.commit_id = u.commit_id AND rs.random_seed IS NOT DISTINCT FROM s.random_seed "
            + "AND r.runner = ?) ";
    private static final String PAGE_NOT_HELD = "AND NOT EXISTS (SELECT 1 FROM units l LEFT JOIN unit_seeds ls "
            + "ON ls.unit_id = l.id WHERE l.commit_id = u.commit_id AND ls.random_seed IS NOT DISTINCT FROM s.random_seed "
            + "AND l.state = ? AND l.holder = ?) ";
    // A unit reserved for other keys (a spot check's replica) waits for them until its deadline.
    private static final String PAGE_NOT_RESERVED = "AND (NOT EXISTS (SELECT 1 FROM unit_reservations v "
            + "WHERE v.unit_id = u.id AND v.until_ms >= ?) OR EXISTS (SELECT 1 FROM unit_reservations w "
            + "WHERE w.unit_id = u.id AND w.node = ? AND w.until_ms >= ?)) ";
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
    private static final String PAGE_ORDER = "ORDER BY u.seq LIMIT ? OFFSET ?";

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
        boolean holdsSome = !owned.enabled() || heldFromMemory(node) > 0;
        boolean someReserved = !noReservationLastsUntil(nowMs);
        List<Object> params = new ArrayList<>(List.of(OPEN, EVALUATE, key));
        StringBuilder sql = new StringBuilder(PAGE_SELECT);
        if (holdsSome) {
            sql.append(PAGE_NOT_HELD);
            params.addAll(List.of(LEASED, key));
        }
        if (someReserved) {
            sql.append(PAGE_NOT_RESERVED);
            params.addAll(List.of(nowMs, key, nowMs));
        }
        if (!network.isEmpty()) {
            sql.append(PAGE_NOT_NETWORK);
            params.addAll(List.of(network, ReplicaNetworks.heldAfter(nowMs)));
        }
        sql.append(PAGE_ORDER);
        params.addAll(List.of(limit, offset));
        if (!shared) {
            return query(sql.toString(), SqliteTransaction::unit, params.toArray());
        }
        // Several claims read the head of the queue at once: each locks the units it reads and
        // passes over those another holds, and a unit leased (or closed) since this statement
        // began is seen as last committed and left out, so no unit is leased twice.
        sql.append(" FOR UPDATE OF u SKIP LOCKED");
        List<UnitRecord> page = query(sql.toString(), SqliteTransaction::unit, params.toArray());
        // A reservation is a row of its own, not of the unit, so one committed after this
        // statement began was not seen; none can be made while the unit is locked here (settlement
        // locks a trial's units before it reserves them), so one more read finds them all.
        return page.stream().filter(u -> {
            List<ByteString> reserved = reservation(u.id(), nowMs);
            return reserved.isEmpty() || reserved.contains(node);
        }).toList();
    }

    /**
     * The open queue, loaded from the database the first time; null when it cannot serve this
     * transaction: it is not kept (too many open units), or it is not loaded yet and this
     * transaction already wrote units (what it would read holds writes that may be rolled back).
     */
    private OwnedReads.OpenUnits sharedQueue() {
        OwnedReads.OpenUnits queue = owned.openUnits;
        if (!queue.loaded()) {
            if (!unitStates.isEmpty() || !queue.mayLoad()) {
                return null;
            }
            List<OwnedReads.Queued> open = query("SELECT " + UNIT_COLUMNS + ", seq FROM units WHERE state = ? "
                            + "AND kind = ? ORDER BY seq LIMIT ?", rs -> new OwnedReads.Queued(rs.getLong(14), unit(rs)),
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
     * The claim page from the open queue, with the same tests as the statement below, in the same
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
        Set<Trial> held = heldFromMemory(node) > 0 ? trialsHeldBy(node) : Set.of();
        boolean someReserved = !noReservationLastsUntil(nowMs);
        int skipped = 0;
        for (java.util.Iterator<UnitRecord> units = queueAsWritten(queue); units.hasNext(); ) {
            UnitRecord u = units.next();
            Trial trial = new Trial(u.commit(), randomSeedOrNull(u.id()));
            if (held.contains(trial) || reportedOn(node, trial) || !networkMayTake(network, trial, nowMs)
                    || (someReserved && reservedForOthers(u.id(), node, nowMs))) {
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
    private java.util.Iterator<UnitRecord> queueAsWritten(OwnedReads.OpenUnits queue) {
        if (queueWrites.isEmpty()) {
            return queue.inOrder().iterator();
        }
        java.util.TreeMap<Long, UnitRecord> all = new java.util.TreeMap<>();
        java.util.TreeMap<Long, UnitRecord> mine = new java.util.TreeMap<>();
        queueWrites.values().forEach(q -> q.ifPresent(w -> mine.put(w.seq(), w.unit())));
        java.util.Iterator<Map.Entry<Long, UnitRecord>> shared = queue.entries().iterator();
        java.util.Iterator<Map.Entry<Long, UnitRecord>> own = mine.entrySet().iterator();
        // A lazy merge of the two ordered sequences: a claim usually takes one of the first units.
        return new java.util.Iterator<>() {
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
                    throw new java.util.NoSuchElementException();
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
        OwnedReads.LeasedUnits shared = sharedLeases();
        Set<Trial> trials = new java.util.HashSet<>();
        for (String id : shared.unitsHeldBy(node)) {
            if (!unitStates.containsKey(id)) {
                trials.add(new Trial(shared.lease(id).unit().commit(), randomSeedOrNull(id)));
            }
        }
        for (Optional<OwnedReads.Lease> write : unitStates.values()) {
            if (write.isPresent() && node.equals(write.get().holder())) {
                trials.add(new Trial(write.get().unit().commit(), randomSeedOrNull(write.get().unit().id())));
            }
        }
        return trials;
    }

    /** Whether {@code node} stored a result on a unit of this trial (the results of its commit). */
    private boolean reportedOn(ByteString node, Trial trial) {
        for (Trials.Entry e : resultEntries(trial.commit())) {
            if (e.result().getRunner().equals(node)
                    && java.util.Objects.equals(randomSeedOrNull(e.result().getWorkUnitId()), trial.randomSeed())) {
                return true;
            }
        }
        return false;
    }

    /** {@link ReplicaNetworks#mayTake} over the trial's leases from networks; no look at all for a claimant with none. */
    private boolean networkMayTake(String network, Trial trial, long nowMs) {
        if (network.isEmpty()) {
            return true;
        }
        List<ReplicaNetworks.Lease> leases = new ArrayList<>();
        for (OwnedReads.NetworkLease l : networkLeases(trial.commit())) {
            if (java.util.Objects.equals(l.randomSeed(), trial.randomSeed())) {
                leases.add(l.lease());
            }
        }
        return ReplicaNetworks.mayTake(network, leases, nowMs);
    }

    private boolean reservedForOthers(String unitId, ByteString node, long nowMs) {
        List<ByteString> keys = reservation(unitId, nowMs);
        return !keys.isEmpty() && !keys.contains(node);
    }

    private Long randomSeedOrNull(String unitId) {
        OptionalLong seed = unitRandomSeed(unitId);
        return seed.isPresent() ? seed.getAsLong() : null;
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
            latest = count("SELECT COALESCE(MAX(until_ms), ?) FROM unit_reservations", Long.MIN_VALUE);
            owned.reservedUntil.put(latest);
        }
        return Math.max(latest, reservedUntil) < nowMs;
    }

    @Override
    public Set<String> commitsTouchedBy(ByteString node) {
        byte[] key = node.toByteArray();
        return new LinkedHashSet<>(query("SELECT DISTINCT u.commit_id FROM units u WHERE u.state = ? AND u.kind = ? AND ("
                        + "EXISTS (SELECT 1 FROM results r WHERE r.commit_id = u.commit_id AND r.runner = ?) OR "
                        + "EXISTS (SELECT 1 FROM units l WHERE l.commit_id = u.commit_id AND l.state = ? AND l.holder = ?))",
                rs -> rs.getString(1), OPEN, EVALUATE, key, LEASED, key));
    }

    @Override
    public List<UnitRecord> units(Optional<UnitStatus.State> state) {
        return query("SELECT " + UNIT_COLUMNS + " FROM units WHERE ? = 0 OR state = ? ORDER BY seq",
                SqliteTransaction::unit, state.map(UnitStatus.State::getNumber).orElse(0),
                state.map(UnitStatus.State::getNumber).orElse(0));
    }

    @Override
    public int pendingUnitsForCommit(String commit) {
        return (int) count("SELECT COUNT(*) FROM units WHERE commit_id = ? AND kind = ? AND state IN (?, ?)",
                commit, EVALUATE, OPEN, LEASED);
    }

    @Override
    public List<DirectionLoad> directionLoads() {
        return query("SELECT d.name, d.seed, "
                        + "(SELECT COUNT(*) FROM units u WHERE u.direction = d.name AND u.kind = ? AND u.state IN (?, ?)), "
                        + "(SELECT COUNT(*) FROM units u WHERE u.direction = d.name AND u.kind = ? AND u.state = ?) "
                        + "FROM directions d ORDER BY d.envelope_seq",
                rs -> new DirectionLoad(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4)),
                EVALUATE, OPEN, LEASED, EXPLORE, LEASED);
    }

    @Override
    public void recordExploreClaim(String unitId, String direction, boolean builtinExplorer, String hypothesis,
            long nowMs) {
        update("INSERT INTO explore_claims (unit_id, direction, builtin_explorer, hypothesis, claimed_ms) "
                + "VALUES (?, ?, ?, ?, ?)", unitId, direction, builtinExplorer ? 1 : 0, hypothesis, nowMs);
    }

    @Override
    public java.util.Map<String, Integer> leasedAgentExplorations() {
        java.util.Map<String, Integer> counts = new java.util.HashMap<>();
        query("SELECT u.direction, COUNT(*) FROM units u LEFT JOIN explore_claims c ON c.unit_id = u.id "
                        + "WHERE u.kind = ? AND u.state = ? AND COALESCE(c.builtin_explorer, 0) = 0 GROUP BY u.direction",
                rs -> counts.put(rs.getString(1), rs.getInt(2)), EXPLORE, LEASED);
        return counts;
    }

    @Override
    public List<dev.rhizome.coordinator.core.Similarity.Text> recentHypotheses(String direction, long sinceMs,
            int limit) {
        return query("SELECT hypothesis, claimed_ms FROM explore_claims WHERE direction = ? AND claimed_ms >= ? "
                        + "AND hypothesis <> '' ORDER BY claimed_ms DESC LIMIT ?",
                rs -> new dev.rhizome.coordinator.core.Similarity.Text("hypothesis", rs.getString(1), "",
                        rs.getLong(2)), direction, sinceMs, limit);
    }

    // --- papers, nodes, stats ----------------------------------------------------------------

    @Override
    public void insertPaper(Paper paper, SignedEnvelope envelope, String envelopeId, long nowMs) {
        long seq = insertEnvelope(envelope, envelopeId, nowMs);
        update("INSERT INTO papers (envelope_seq, direction) VALUES (?, ?)", seq, paper.getDirection());
    }

    @Override
    public boolean hasPaper(String envelopeId) {
        return count("SELECT COUNT(*) FROM papers p JOIN envelopes e ON e.seq = p.envelope_seq WHERE e.id = ?",
                envelopeId) > 0;
    }

    @Override
    public List<SignedEnvelope> papers(String direction) {
        return query("SELECT e.bytes FROM papers p JOIN envelopes e ON e.seq = p.envelope_seq "
                + "WHERE ? = '' OR p.direction = ? ORDER BY p.envelope_seq DESC", rs -> envelope(rs.getBytes(1)),
                direction, direction);
    }

    @Override
    public boolean announce(NodeAnnouncement a, String network, long nowMs) {
        byte[] node = a.getNode().toByteArray();
        if (update("INSERT INTO nodes (node, host, port, hardware_class, last_seen_ms, network, signed_ms) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (node) DO UPDATE SET host = excluded.host, port = excluded.port, "
                        + "hardware_class = excluded.hardware_class, last_seen_ms = excluded.last_seen_ms, "
                        + "network = excluded.network, signed_ms = excluded.signed_ms "
                        + "WHERE nodes.signed_ms IS NULL OR nodes.signed_ms < excluded.signed_ms",
                node, a.getHost(), a.getPort(), a.getHardwareClass(), nowMs, network, a.getTimeMs()) == 0) {
            return false;
        }
        owned.peers.clear();
        wrotePeers = true;
        update("DELETE FROM node_commits WHERE node = ?", (Object) node);
        try (PreparedStatement ps = connection.prepareStatement(
                "INSERT INTO node_commits (commit_id, node) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
            for (String commit : a.getCommitsList()) {
                ps.setString(1, commit);
                ps.setBytes(2, node);
                ps.addBatch();
            }
            ps.executeBatch();
        } catch (SQLException e) {
            throw failed("record announced commits", e);
        }
        return true;
    }

    @Override
    public List<PeerEndpoint> peers(String commit, int limit) {
        if (wrotePeers) {
            return readPeers(commit, limit);
        }
        String key = limit + " " + commit;
        List<PeerEndpoint> hit = owned.peers.get(key);
        if (hit == null) {
            hit = List.copyOf(readPeers(commit, limit));
            owned.peers.put(key, hit);
        }
        return hit;
    }

    private List<PeerEndpoint> readPeers(String commit, int limit) {
        String sql = commit.isEmpty()
                ? "SELECT n.node, n.host, n.port FROM nodes n WHERE ? = '' ORDER BY n.last_seen_ms DESC LIMIT ?"
                : "SELECT n.node, n.host, n.port FROM node_commits c JOIN nodes n ON n.node = c.node "
                        + "WHERE c.commit_id = ? ORDER BY n.last_seen_ms DESC LIMIT ?";
        return query(sql, rs -> PeerEndpoint.newBuilder().setNode(ByteString.copyFrom(rs.getBytes(1)))
                .setHost(rs.getString(2)).setPort(rs.getInt(3)).build(), commit, limit);
    }

    @Override
    public List<PeerEndpoint> nodesSeenSince(long sinceMs, int limit) {
        return query("SELECT node, host, port FROM nodes WHERE last_seen_ms >= ? ORDER BY last_seen_ms DESC LIMIT ?",
                rs -> PeerEndpoint.newBuilder().setNode(ByteString.copyFrom(rs.getBytes(1)))
                        .setHost(rs.getString(2)).setPort(rs.getInt(3)).build(), sinceMs, limit);
    }

    @Override
    public boolean nodeSeenOutside(String network, long sinceMs) {
        return count("SELECT COUNT(*) FROM (SELECT 1 FROM nodes WHERE last_seen_ms >= ? AND network <> ? LIMIT 1) n",
                sinceMs, network) > 0;
    }

    @Override
    public List<SpotChecks.Candidate> spotCheckCandidates(long sinceMs, int limit) {
        return query("SELECT node, host, network FROM nodes WHERE last_seen_ms >= ? ORDER BY last_seen_ms DESC LIMIT ?",
                rs -> new SpotChecks.Candidate(ByteString.copyFrom(rs.getBytes(1)), rs.getString(2), rs.getString(3)),
                sinceMs, limit);
    }

    @Override
    public Set<ByteString> runnersWithStandingSeenSince(long sinceMs, int limit) {
        return new LinkedHashSet<>(query("SELECT n.node FROM nodes n JOIN reputations r ON r.runner = n.node "
                        + "WHERE n.last_seen_ms >= ? AND r.valid_results > 0 ORDER BY n.last_seen_ms DESC LIMIT ?",
                rs -> ByteString.copyFrom(rs.getBytes(1)), sinceMs, limit));
    }

    @Override
    public CoordinatorStats stats() {
        return HistoryCounts.stats(queries());
    }

    @Override
    public HistoryCounts.Added historyAddedSince(HistoryCounts.Marks after) {
        return HistoryCounts.since(queries(), after);
    }

    @Override
    public HistoryCounts.InProgress unitsInProgress() {
        return HistoryCounts.inProgress(queries());
    }

    @Override
    public HistoryCounts.Standing standing() {
        return HistoryCounts.standing(queries());
    }

    @Override
    public Optional<String> seedOfCommit(String commit) {
        return CommitSeeds.of(queries(), commit);
    }

    @Override
    public List<SignedEnvelope> auditTrail() {
        return query("SELECT bytes FROM envelopes ORDER BY seq", rs -> envelope(rs.getBytes(1)));
    }

    // --- trust: trials, validation states, reputation, quotas, adoptions -------------------

    @Override
    public void setUnitRandomSeed(String unitId, long randomSeed) {
        wrote(owned.unitRandomSeeds, wroteUnitSeeds, unitId);
        afterCommit.add(() -> owned.unitRandomSeeds.put(unitId, randomSeed));
        update("INSERT INTO unit_seeds (unit_id, random_seed) VALUES (?, ?)", unitId, randomSeed);
    }

    @Override
    public OptionalLong unitRandomSeed(String unitId) {
        Long seed = through(owned.unitRandomSeeds, wroteUnitSeeds, unitId, id -> first(
                query("SELECT random_seed FROM unit_seeds WHERE unit_id = ?", rs -> rs.getLong(1), id)).orElse(null));
        return seed == null ? OptionalLong.empty() : OptionalLong.of(seed);
    }

    @Override
    public List<Trials.Entry> resultEntries(String commit) {
        return resultEntriesMemo.computeIfAbsent(commit,
                c -> through(owned.resultEntries, wroteResultsFor, c, this::readResultEntries));
    }

    private List<Trials.Entry> readResultEntries(String commit) {
        return List.copyOf(query("SELECT e.id, e.bytes, r.late FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "WHERE r.commit_id = ? ORDER BY r.envelope_seq",
                rs -> new Trials.Entry(rs.getString(1), stored(rs.getBytes(2), Result.parser()).record(),
                        rs.getInt(3) != 0), commit));
    }

    @Override
    public Optional<ResultVerdict.State> resultState(String envelopeId) {
        Optional<ResultVerdict.State> memo = resultStateMemo.get(envelopeId);
        if (memo != null) {
            return memo;
        }
        return first(query("SELECT state FROM result_states WHERE envelope_id = ?",
                rs -> ResultVerdict.State.forNumber(rs.getInt(1)), envelopeId));
    }

    @Override
    public void setResultState(String envelopeId, ResultVerdict.State state) {
        resultStateMemo.put(envelopeId, Optional.of(state));
        update("INSERT INTO result_states (envelope_id, state) VALUES (?, ?) "
                + "ON CONFLICT (envelope_id) DO UPDATE SET state = excluded.state", envelopeId, state.getNumber());
    }

    @Override
    public Set<String> reputationClasses(String commit, long randomSeed) {
        // settlement asks for one trial's classes up to three times a result; they change only below
        return new LinkedHashSet<>(reputationClassMemo.computeIfAbsent(commit + "/" + randomSeed, k -> new LinkedHashSet<>(
                query("SELECT hardware_class FROM reputation_trials WHERE commit_id = ? AND random_seed = ?",
                        rs -> rs.getString(1), commit, randomSeed))));
    }

    @Override
    public int reputationTrialsBy(String commit, ByteString runner) {
        return (int) count("SELECT COUNT(*) FROM reputation_trials WHERE commit_id = ? AND runner = ?", commit,
                runner.toByteArray());
    }

    @Override
    public void markAcceptedOnReputation(String commit, long randomSeed, String hardwareClass, ByteString runner) {
        reputationClassMemo.remove(commit + "/" + randomSeed);
        update("INSERT INTO reputation_trials (commit_id, random_seed, hardware_class, runner) VALUES (?, ?, ?, ?)",
                commit, randomSeed, hardwareClass, runner.toByteArray());
    }

    private static final String REPUTATION_COLUMNS =
            "runner, valid_results, invalid_results, error_results, consecutive_valid, credit_ms, daily_quota";

    @Override
    public Optional<Reputation> reputation(ByteString runner) {
        return through(owned.reputations, wroteReputations, runner, this::readReputation);
    }

    private Optional<Reputation> readReputation(ByteString runner) {
        return first(query("SELECT " + REPUTATION_COLUMNS + " FROM reputations WHERE runner = ?",
                rs -> reputation(rs).getValue(), runner.toByteArray()));
    }

    @Override
    public void saveReputation(ByteString runner, Reputation r) {
        wrote(owned.reputations, wroteReputations, runner);
        afterCommit.add(() -> owned.reputations.put(runner, Optional.of(r)));
        update("INSERT INTO reputations (" + REPUTATION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (runner) DO UPDATE SET valid_results = excluded.valid_results, "
                        + "invalid_results = excluded.invalid_results, error_results = excluded.error_results, "
                        + "consecutive_valid = excluded.consecutive_valid, credit_ms = excluded.credit_ms, "
                        + "daily_quota = excluded.daily_quota",
                runner.toByteArray(), r.valid(), r.invalid(), r.errors(), r.consecutiveValid(), r.creditMs(),
                r.dailyQuota());
    }

    @Override
    public List<Map.Entry<ByteString, Reputation>> reputations() {
        return query("SELECT " + REPUTATION_COLUMNS + " FROM reputations ORDER BY credit_ms DESC, valid_results DESC, "
                        + "runner DESC",
                SqliteTransaction::reputation);
    }

    private static Map.Entry<ByteString, Reputation> reputation(ResultSet rs) throws SQLException {
        return Map.entry(ByteString.copyFrom(rs.getBytes(1)), new Reputation(rs.getInt(2), rs.getInt(3), rs.getInt(4),
                rs.getInt(5), rs.getLong(6), rs.getInt(7)));
    }

    @Override
    public int leasesSince(ByteString node, long sinceMs) {
        if (!owned.enabled()) {
            return readLeasesSince(node, sinceMs);
        }
        OwnedReads.LeaseCount known = owned.leasesSince.get(node);
        if (known == null || known.sinceMs() != sinceMs) {
            // The database includes this transaction's own leases; the shared count does not until released.
            known = new OwnedReads.LeaseCount(sinceMs, readLeasesSince(node, sinceMs) - ownLeasesSince(node, sinceMs));
            owned.leasesSince.put(node, known);
        }
        return known.count() + ownLeasesSince(node, sinceMs);
    }

    private int readLeasesSince(ByteString node, long sinceMs) {
        return (int) count("SELECT COUNT(*) FROM unit_leases WHERE holder = ? AND leased_ms >= ?", node.toByteArray(),
                sinceMs);
    }

    @Override
    public ProposerThrottle.Record proposerRecord(ByteString proposer) {
        return through(owned.proposers, wroteProposers, proposer, this::readProposerRecord);
    }

    private ProposerThrottle.Record readProposerRecord(ByteString proposer) {
        return first(query("SELECT ok_results, crash_results, last_crash_ms FROM proposer_records WHERE proposer = ?",
                rs -> new ProposerThrottle.Record(rs.getInt(1), rs.getInt(2), rs.getLong(3)), proposer.toByteArray()))
                .orElse(ProposerThrottle.Record.empty());
    }

    @Override
    public void saveProposerRecord(ByteString proposer, ProposerThrottle.Record r) {
        wrote(owned.proposers, wroteProposers, proposer);
        afterCommit.add(() -> owned.proposers.put(proposer, r));
        update("INSERT INTO proposer_records (proposer, ok_results, crash_results, last_crash_ms) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (proposer) DO UPDATE SET ok_results = excluded.ok_results, "
                        + "crash_results = excluded.crash_results, last_crash_ms = excluded.last_crash_ms",
                proposer.toByteArray(), r.okResults(), r.crashResults(), r.lastCrashMs());
    }

    @Override
    public Set<String> unitsBarredFor(ByteString node) {
        byte[] key = node.toByteArray();
        return new LinkedHashSet<>(query("SELECT u.id FROM units u JOIN unit_seeds s ON s.unit_id = u.id "
                        + "WHERE u.state = ? AND u.kind = ? AND ("
                        + "EXISTS (SELECT 1 FROM results r JOIN unit_seeds rs ON rs.unit_id = r.unit_id "
                        + "WHERE r.commit_id = u.commit_id AND rs.random_seed = s.random_seed AND r.runner = ?) OR "
                        + "EXISTS (SELECT 1 FROM units l JOIN unit_seeds ls ON ls.unit_id = l.id "
                        + "WHERE l.commit_id = u.commit_id AND ls.random_seed = s.random_seed AND l.state = ? "
                        + "AND l.holder = ?))",
                rs -> rs.getString(1), OPEN, EVALUATE, key, LEASED, key));
    }

    @Override
    public List<UnitRecord> pendingUnitsOfCommit(String commit) {
        return query("SELECT " + UNIT_COLUMNS + " FROM units WHERE commit_id = ? AND kind = ? AND state IN (?, ?) "
                + "ORDER BY seq" + lockingRead(""), SqliteTransaction::unit, commit, EVALUATE, OPEN, LEASED);
    }

    @Override
    public void abandonExperiment(String commit, String reason, long nowMs) {
        if (update("UPDATE abandoned_experiments SET reason = ? WHERE commit_id = ?", reason, commit) == 0) {
            update("INSERT INTO abandoned_experiments (commit_id, reason, abandoned_ms) VALUES (?, ?, ?)", commit,
                    reason, nowMs);
        }
    }

    @Override
    public Optional<String> abandonment(String commit) {
        return first(query("SELECT reason FROM abandoned_experiments WHERE commit_id = ?", rs -> rs.getString(1),
                commit));
    }

    @Override
    public List<UnitRecord> pendingUnitsOfTrial(String commit, long randomSeed) {
        return query("SELECT " + UNIT_COLUMNS.replaceAll("(^|, )", "$1u.") + " FROM units u "
                        + "JOIN unit_seeds s ON s.unit_id = u.id WHERE u.commit_id = ? AND s.random_seed = ? "
                        + "AND u.kind = ? AND u.state IN (?, ?) ORDER BY u.seq" + lockingRead(" OF u"),
                SqliteTransaction::unit, commit, randomSeed, EVALUATE, OPEN, LEASED);
    }

    @Override
    public void insertAdoption(dev.rhizome.proto.v1.Adoption a) {
        appendInOrder();
        update("INSERT INTO adoptions (direction, commit_id, adopted_ms, audit_count, bytes) VALUES (?, ?, ?, ?, ?)",
                a.getDirection(), a.getCommit(), a.getAdoptedMs(), a.getAuditCount(), a.toByteArray());
    }

    @Override
    public List<dev.rhizome.proto.v1.Adoption> adoptions(String direction) {
        return query("SELECT bytes FROM adoptions WHERE ? = '' OR direction = ? ORDER BY audit_count, adopted_ms",
                rs -> {
                    try {
                        return dev.rhizome.proto.v1.Adoption.parseFrom(rs.getBytes(1));
                    } catch (InvalidProtocolBufferException e) {
                        throw new StoreException("stored adoption is corrupt: " + e.getMessage(), e);
                    }
                }, direction, direction);
    }

    @Override
    public long auditCount() {
        return count("SELECT COUNT(*) FROM envelopes");
    }

    // --- pages (keyset: WHERE key > ? ORDER BY key LIMIT ?, along an index) ------------------

    @Override
    public List<Keyed<Long, Stored<Seed>>> seeds(long afterSeq, int limit) {
        return query("SELECT s.envelope_seq, " + SEED_BYTES + " FROM seeds s "
                        + "WHERE s.envelope_seq > ? ORDER BY s.envelope_seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), stored(rs.getBytes(2), Seed.parser())), afterSeq, limit);
    }

    @Override
    public List<Keyed<Long, DirectionRecord>> directions(long afterSeq, int limit) {
        return query("SELECT " + DIRECTION_COLUMNS + ", d.envelope_seq FROM directions d "
                        + "WHERE d.envelope_seq > ? ORDER BY d.envelope_seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(6), direction(rs)), afterSeq, limit);
    }

    @Override
    public int countExperiments(String direction) {
        return (int) (direction.isEmpty() ? count("SELECT COUNT(*) FROM experiments")
                : count("SELECT COUNT(*) FROM experiments WHERE direction = ?", direction));
    }

    @Override
    public List<Keyed<Long, Stored<Experiment>>> experiments(String direction, long afterSeq, int limit) {
        // A filter that may be empty is two statements, not "? = '' OR ...", so each can use its index.
        String where = direction.isEmpty() ? "? = '' AND" : "x.direction = ? AND";
        return query("SELECT x.envelope_seq, e.bytes FROM experiments x JOIN envelopes e ON e.seq = x.envelope_seq "
                        + "WHERE " + where + " x.envelope_seq > ? ORDER BY x.envelope_seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), stored(rs.getBytes(2), Experiment.parser())), direction, afterSeq,
                limit);
    }

    @Override
    public List<Trials.Entry> countedResults(String direction) {
        return query("SELECT e.id, e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "LEFT JOIN result_states s ON s.envelope_id = e.id "
                        + "WHERE r.direction = ? AND r.late = 0 AND (s.state IS NULL OR s.state <> ?) "
                        + "ORDER BY r.envelope_seq",
                rs -> new Trials.Entry(rs.getString(1), stored(rs.getBytes(2), Result.parser()).record()),
                direction, ResultVerdict.State.INVALID.getNumber());
    }

    @Override
    public List<Stored<Experiment>> newestExperiments(String direction, int limit) {
        return newestExperiments(direction, Long.MAX_VALUE, limit).stream().map(Keyed::value).toList();
    }

    @Override
    public List<SignedEnvelope> newestResultEnvelopes(String direction, int limit) {
        return newestResultEnvelopes(direction, Long.MAX_VALUE, limit).stream().map(Keyed::value).toList();
    }

    @Override
    public List<Keyed<Long, Stored<Experiment>>> newestExperiments(String direction, long beforeSeq, int limit) {
        return NewestRows.experiments(queries(), direction, beforeSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> newestResultEnvelopes(String direction, long beforeSeq, int limit) {
        return NewestRows.results(queries(), direction, beforeSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> resultEnvelopes(String direction, String commit, long afterSeq,
            int limit) {
        String where = (commit.isEmpty() ? "? = '' AND " : "r.commit_id = ? AND ")
                + (direction.isEmpty() ? "? = '' AND " : "r.direction = ? AND ");
        return query("SELECT r.envelope_seq, e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "WHERE " + where + "r.envelope_seq > ? ORDER BY r.envelope_seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), envelope(rs.getBytes(2))), commit, direction, afterSeq, limit);
    }

    @Override
    public List<Keyed<Long, UnitRecord>> units(Optional<UnitStatus.State> state, long afterSeq, int limit) {
        String where = state.isEmpty() ? "? = 0 AND" : "state = ? AND";
        return query("SELECT " + UNIT_COLUMNS + ", seq FROM units WHERE " + where + " seq > ? ORDER BY seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(14), unit(rs)), state.map(UnitStatus.State::getNumber).orElse(0),
                afterSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> papers(String direction, long beforeSeq, int limit) {
        String where = direction.isEmpty() ? "? = '' AND" : "p.direction = ? AND";
        return query("SELECT p.envelope_seq, e.bytes FROM papers p JOIN envelopes e ON e.seq = p.envelope_seq "
                        + "WHERE " + where + " p.envelope_seq < ? ORDER BY p.envelope_seq DESC LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), envelope(rs.getBytes(2))), direction, beforeSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> auditTrail(long afterSeq, int limit) {
        return query("SELECT seq, bytes FROM envelopes WHERE seq > ? ORDER BY seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), envelope(rs.getBytes(2))), afterSeq, limit);
    }

    @Override
    public List<Keyed<Store.CreditKey, Reputation>> reputations(Optional<Store.CreditKey> after, int limit) {
        // Row values compare column by column, so one comparison continues the three-column order.
        String sql = "SELECT " + REPUTATION_COLUMNS + " FROM reputations "
                + (after.isPresent() ? "WHERE (credit_ms, valid_results, runner) < (?, ?, ?) " : "")
                + "ORDER BY credit_ms DESC, valid_results DESC, runner DESC LIMIT ?";
        Row<Keyed<Store.CreditKey, Reputation>> row = rs -> {
            Map.Entry<ByteString, Reputation> e = reputation(rs);
            return new Keyed<>(new Store.CreditKey(e.getValue().creditMs(), e.getValue().valid(), e.getKey()),
                    e.getValue());
        };
        return after.isPresent()
                ? query(sql, row, after.get().creditMs(), after.get().valid(), after.get().runner().toByteArray(), limit)
                : query(sql, row, limit);
    }

    @Override
    public List<Keyed<Store.AdoptionKey, dev.rhizome.proto.v1.Adoption>> adoptions(String direction,
            Optional<Store.AdoptionKey> after, int limit) {
        String sql = "SELECT bytes, audit_count, adopted_ms, direction, commit_id FROM adoptions WHERE "
                + (direction.isEmpty() ? "? = ''" : "direction = ?")
                + (after.isPresent() ? " AND (audit_count, adopted_ms, direction, commit_id) > (?, ?, ?, ?)" : "")
                + " ORDER BY audit_count, adopted_ms, direction, commit_id LIMIT ?";
        Row<Keyed<Store.AdoptionKey, dev.rhizome.proto.v1.Adoption>> row = rs -> {
            try {
                return new Keyed<>(new Store.AdoptionKey(rs.getLong(2), rs.getLong(3), rs.getString(4),
                        rs.getString(5)), dev.rhizome.proto.v1.Adoption.parseFrom(rs.getBytes(1)));
            } catch (InvalidProtocolBufferException e) {
                throw new StoreException("stored adoption is corrupt: " + e.getMessage(), e);
            }
        };
        return after.isPresent()
                ? query(sql, row, direction, after.get().auditCount(), after.get().adoptedMs(), after.get().direction(),
                        after.get().commit(), limit)
                : query(sql, row, direction, limit);
    }

    // --- helpers -----------------------------------------------------------------------------

    private long insertEnvelope(SignedEnvelope envelope, String id, long nowMs) {
        appendInOrder();
        return count("INSERT INTO envelopes (id, type, bytes, received_ms) VALUES (?, ?, ?, ?) RETURNING seq",
                id, envelope.getType(), envelope.toByteArray(), nowMs);
    }

    private DirectionRecord direction(ResultSet rs) throws SQLException {
        Direction d = stored(rs.getBytes(1), Direction.parser()).record();
        double frontierMetric = rs.getDouble(3);
        OptionalDouble metric = rs.wasNull() ? OptionalDouble.empty() : OptionalDouble.of(frontierMetric);
        Frontier frontier = new Frontier(rs.getString(2), metric, rs.getString(4));
        double baselineMetric = rs.getDouble(5);
        return new DirectionRecord(d, frontier, rs.wasNull() ? OptionalDouble.empty() : OptionalDouble.of(baselineMetric));
    }

    private static UnitRecord unit(ResultSet rs) throws SQLException {
        return new UnitRecord(rs.getString(1), WorkUnit.Kind.forNumber(rs.getInt(2)), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6), ByteString.copyFrom(rs.getBytes(7)),
                UnitStatus.State.forNumber(rs.getInt(8)), ByteString.copyFrom(rs.getBytes(9)), rs.getLong(10),
                rs.getInt(11), rs.getInt(12), rs.getLong(13));
    }

    private static SignedEnvelope envelope(byte[] bytes) {
        try {
            return SignedEnvelope.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored envelope is corrupt: " + e.getMessage(), e);
        }
    }

    /** Records were verified before they were stored, so reading them back only parses. */
    private static <T extends Message> Stored<T> stored(byte[] bytes, Parser<T> parser) {
        SignedEnvelope envelope = envelope(bytes);
        try {
            return new Stored<>(parser.parseFrom(envelope.getPayload()), envelope);
        } catch (InvalidProtocolBufferException e) {
            throw new StoreException("stored " + envelope.getType() + " is corrupt: " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private <T> List<T> query(String sql, Row<T> row, Object... params) {
        return queries().list(sql, row::map, params);
    }

    /** This transaction's statements, for the query classes beside it (HistoryCounts, NewestRows, ...). */
    private Queries queries() {
        return new Queries(statements);
    }

    private int update(String sql, Object... params) {
        PreparedStatement ps = null;
        try {
            ps = statements.prepare(sql);
            bind(ps, params);
            int changed = ps.executeUpdate();
            statements.release(ps);
            return changed;
        } catch (SQLException | RuntimeException e) {
            statements.discard(sql, ps);
            throw e instanceof SQLException q ? failed(sql, q) : (RuntimeException) e;
        }
    }

    private long count(String sql, Object... params) {
        return query(sql, rs -> rs.getLong(1), params).get(0);
    }

    private static void bind(PreparedStatement ps, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            ps.setObject(i + 1, params[i]);
        }
    }

    private static <T> Optional<T> first(List<T> rows) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    private static StoreException failed(String what, SQLException e) {
        return new StoreException("database error in " + what + ": " + e.getMessage(), e);
    }
}
