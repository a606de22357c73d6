package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.envelope.Envelopes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Experiments and results for one transaction, with what settlement reads of them: each commit's
 * results (kept across transactions where one process owns the database, as every result and
 * claim reads its commit's), their validation states, and experiments given up. Where a list is
 * known without a read, a result stored here is appended to it rather than read back.
 */
final class ResultRows implements Experiments, Results {
    private final TransactionScope scope;
    private final Queries q;
    private final OwnedReads owned;
    private final Map<String, List<Trials.Entry>> resultEntriesMemo = new HashMap<>();
    /** A commit's experiment as this transaction read it: a settling result asks three times after its locks. */
    private final Map<String, Optional<Stored<Experiment>>> experimentMemo = new HashMap<>();
    /** Validation states this transaction knows without a read: none for a result it just stored. */
    private final Map<String, Optional<ResultVerdict.State>> resultStateMemo = new HashMap<>();
    private final Set<String> wroteExperiments = new HashSet<>();
    private final Set<String> wroteResultsFor = new HashSet<>();

    ResultRows(TransactionScope scope) {
        this.scope = scope;
        this.q = scope.queries;
        this.owned = scope.owned;
    }

    /** Forgets what this transaction read of results and their states. */
    void forgetReads() {
        resultEntriesMemo.clear();
        resultStateMemo.clear();
        experimentMemo.clear();
    }

    // --- experiments ---------------------------------------------------------------------------

    @Override
    public Optional<Stored<Experiment>> experiment(String commit) {
        return experimentMemo.computeIfAbsent(commit, c -> Optional.ofNullable(
                TransactionScope.through(owned.experiments, wroteExperiments, c, k -> readExperiment(k).orElse(null))));
    }

    @Override
    public String experimentNetwork(String commit) {
        // A commit with no experiment is not remembered (null): one may be registered after this read.
        String network = TransactionScope.through(owned.experimentNetworks, wroteExperiments, commit,
                c -> Queries.first(q.list("SELECT network FROM experiments WHERE commit_id = ?", rs -> rs.getString(1), c))
                        .orElse(null));
        return network == null ? "" : network;
    }

    /** The units of the commit that a result sent from {@code network} reported on (none for no network). */
    List<String> unitsReportedFrom(String commit, String network) {
        if (network.isEmpty()) {
            return List.of();
        }
        return q.list("SELECT unit_id FROM results WHERE commit_id = ? AND network = ?", rs -> rs.getString(1),
                commit, network);
    }

    private Optional<Stored<Experiment>> readExperiment(String commit) {
        Queries.Read<Stored<Experiment>> read = experimentRead(commit);
        return Queries.first(q.list(read.sql(), read.row(), read.params()));
    }

    /** The commit's experiment, for {@link #keepExperiment}. */
    Queries.Read<Stored<Experiment>> experimentRead(String commit) {
        return new Queries.Read<>("SELECT e.bytes FROM experiments x JOIN envelopes e ON e.seq = x.envelope_seq "
                + "WHERE x.commit_id = ?", rs -> Rows.stored(rs.getBytes(1), Experiment.parser()), commit);
    }

    /**
     * Keeps the rows of {@link #experimentRead}, read with a settlement's locks, as
     * {@link #experiment} keeps what it reads (experiments are only added, by writers alone).
     */
    @SuppressWarnings("unchecked")
    void keepExperiment(String commit, List<?> rows) {
        if (!wroteExperiments.contains(commit)) {
            experimentMemo.putIfAbsent(commit,
                    rows.isEmpty() ? Optional.empty() : Optional.of((Stored<Experiment>) rows.get(0)));
        }
    }

    /** The experiments of the commits named that are experiments, in no particular order. */
    @Override
    public List<Stored<Experiment>> experiments(Collection<String> commits) {
        return q.listIn("SELECT e.bytes FROM experiments x JOIN envelopes e ON e.seq = x.envelope_seq "
                + "WHERE x.commit_id IN", commits, rs -> Rows.stored(rs.getBytes(1), Experiment.parser()));
    }

    @Override
    public List<Stored<Experiment>> experiments(String direction) {
        return q.list("SELECT e.bytes FROM experiments x JOIN envelopes e ON e.seq = x.envelope_seq "
                        + "WHERE " + Queries.equalUnlessEmpty("x.direction", direction) + " ORDER BY x.envelope_seq",
                rs -> Rows.stored(rs.getBytes(1), Experiment.parser()), direction);
    }

    @Override
    public List<Keyed<Long, Stored<Experiment>>> experiments(String direction, long afterSeq, int limit) {
        // A filter that may be empty is two statements, not "? = '' OR ...", so each can use its index.
        String where = direction.isEmpty() ? "? = '' AND" : "x.direction = ? AND";
        return q.list("SELECT x.envelope_seq, e.bytes FROM experiments x JOIN envelopes e ON e.seq = x.envelope_seq "
                        + "WHERE " + where + " x.envelope_seq > ? ORDER BY x.envelope_seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), Rows.stored(rs.getBytes(2), Experiment.parser())), direction, afterSeq,
                limit);
    }

    @Override
    public int countExperiments(String direction) {
        return (int) (direction.isEmpty() ? q.count("SELECT COUNT(*) FROM experiments")
                : q.count("SELECT COUNT(*) FROM experiments WHERE direction = ?", direction));
    }

    @Override
    public void insertExperiment(Experiment experiment, SignedEnvelope envelope, long nowMs, String network) {
        TransactionScope.wrote(owned.experiments, wroteExperiments, experiment.getCommit());
        owned.experimentNetworks.remove(experiment.getCommit());
        scope.afterCommit.add(() -> owned.experimentNetworks.put(experiment.getCommit(), network));
        Stored<Experiment> stored = new Stored<>(experiment, envelope);
        experimentMemo.remove(experiment.getCommit());
        scope.afterCommit.add(() -> owned.experiments.put(experiment.getCommit(), stored));
        long seq = scope.insertEnvelope(envelope, Envelopes.id(envelope), nowMs);
        q.update("INSERT INTO experiments (commit_id, seed, direction, envelope_seq, proposer, network, network_ms) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?)",
                experiment.getCommit(), experiment.getSeed(), experiment.getDirection(), seq,
                experiment.getProposer().toByteArray(), network, nowMs);
        String commit = experiment.getCommit();
        if (owned.enabled() && !wroteResultsFor.contains(commit) && !resultEntriesMemo.containsKey(commit)) {
            // Every result for this commit reads its results first (one read a cycle, on the hot
            // path); a new experiment almost never has any yet, so they are read here, once, and
            // kept. A caller later in the same group that stores a result for it puts its own view
            // after this one (commit order), so this never overwrites a newer list.
            List<Trials.Entry> known = readResultEntries(commit);
            scope.afterCommit.add(() -> owned.resultEntries.put(commit, known));
        }
    }

    @Override
    public List<Keyed<Long, Stored<Experiment>>> newestExperiments(String direction, long beforeSeq, int limit) {
        return NewestRows.experiments(q, direction, beforeSeq, limit);
    }

    @Override
    public void abandonExperiment(String commit, String reason, long nowMs) {
        if (q.update("UPDATE abandoned_experiments SET reason = ? WHERE commit_id = ?", reason, commit) == 0) {
            q.update("INSERT INTO abandoned_experiments (commit_id, reason, abandoned_ms) VALUES (?, ?, ?)", commit,
                    reason, nowMs);
        }
    }

    @Override
    public Optional<String> abandonment(String commit) {
        return Queries.first(q.list("SELECT reason FROM abandoned_experiments WHERE commit_id = ?",
                rs -> rs.getString(1), commit));
    }

    // --- results -------------------------------------------------------------------------------

    @Override
    public Optional<Stored<Result>> resultByEnvelopeId(String envelopeId) {
        return Queries.first(q.list("SELECT e.bytes FROM envelopes e JOIN results r ON r.envelope_seq = e.seq "
                + "WHERE e.id = ?", rs -> Rows.stored(rs.getBytes(1), Result.parser()), envelopeId));
    }

    @Override
    public Optional<Stored<Result>> resultOfUnit(String unitId, ByteString runner) {
        return Queries.first(q.list("SELECT e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                + "WHERE r.unit_id = ? AND r.runner = ?", rs -> Rows.stored(rs.getBytes(1), Result.parser()),
                unitId, runner.toByteArray()));
    }

    @Override
    public void insertResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs, String network) {
        insert(result, envelope, envelopeId, nowMs, network, false);
    }

    @Override
    public void insertLateResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs,
            String network) {
        insert(result, envelope, envelopeId, nowMs, network, true);
    }

    private void insert(Result result, SignedEnvelope envelope, String envelopeId, long nowMs, String network,
            boolean late) {
        String commit = result.getCommit();
        // result_states rows are written for stored results only, so a new one has none yet
        resultStateMemo.put(envelopeId, Optional.empty());
        long seq = scope.insertEnvelope(envelope, envelopeId, nowMs);
        q.write("INSERT INTO results (envelope_seq, unit_id, direction, commit_id, runner, late, network, network_ms) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                seq, result.getWorkUnitId(), result.getDirection(), commit, result.getRunner().toByteArray(), late ? 1 : 0,
                network, nowMs);
        // it has the largest sequence number, so it comes last
        scope.appendKept(resultEntriesMemo, owned.resultEntries, wroteResultsFor, commit,
                new Trials.Entry(envelopeId, result, late));
    }

    @Override
    public List<Result> resultsForCommit(String commit) {
        return q.list("SELECT e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "WHERE r.commit_id = ? AND r.late = 0 ORDER BY r.envelope_seq",
                rs -> Rows.stored(rs.getBytes(1), Result.parser()).record(), commit);
    }

    /**
     * The filter on a result's direction, one parameter. With a commit, the commit's index finds
     * its few results and the direction only filters them: given both as plain equalities, SQLite
     * went along the direction's index (which also gives the order) and through every result of
     * the direction for a commit that had none there. The expression keeps the direction off any
     * index, on either store.
     */
    private static String byDirection(String direction, String commit) {
        return Queries.equalUnlessEmpty(commit.isEmpty() ? "r.direction" : "r.direction || ''", direction);
    }

    @Override
    public List<SignedEnvelope> resultEnvelopes(String direction, String commit) {
        return q.list("SELECT e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "WHERE " + byDirection(direction, commit) + " AND "
                        + Queries.equalUnlessEmpty("r.commit_id", commit) + " ORDER BY r.envelope_seq",
                rs -> Rows.envelope(rs.getBytes(1)), direction, commit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> resultEnvelopes(String direction, String commit, long afterSeq, int limit) {
        String where = Queries.equalUnlessEmpty("r.commit_id", commit) + " AND " + byDirection(direction, commit)
                + " AND ";
        return q.list("SELECT r.envelope_seq, e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "WHERE " + where + "r.envelope_seq > ? ORDER BY r.envelope_seq LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), Rows.envelope(rs.getBytes(2))), commit, direction, afterSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> newestResultEnvelopes(String direction, long beforeSeq, int limit) {
        return NewestRows.results(q, direction, beforeSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> newestResultEnvelopes(String direction, String commit, long beforeSeq,
            int limit) {
        if (commit.isEmpty() && !direction.isEmpty()) {
            return NewestRows.results(q, direction, beforeSeq, limit);
        }
        // a commit's few results by results_by_commit, sorted; no filter at all walks the key backwards
        String where = Queries.equalUnlessEmpty("r.commit_id", commit) + " AND " + byDirection(direction, commit)
                + " AND ";
        return q.list("SELECT r.envelope_seq, e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "WHERE " + where + "r.envelope_seq < ? ORDER BY r.envelope_seq DESC LIMIT ?",
                rs -> new Keyed<>(rs.getLong(1), Rows.envelope(rs.getBytes(2))), commit, direction, beforeSeq, limit);
    }

    @Override
    public int countResults(String direction) {
        return (int) q.count("SELECT COUNT(*) FROM results WHERE direction = ?", direction);
    }

    @Override
    public List<Trials.Entry> countedResults(String direction) {
        return q.list("SELECT e.id, e.bytes FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "LEFT JOIN result_states s ON s.envelope_id = e.id "
                        + "WHERE r.direction = ? AND r.late = 0 AND (s.state IS NULL OR s.state <> ?) "
                        + "ORDER BY r.envelope_seq",
                rs -> new Trials.Entry(rs.getString(1), Rows.stored(rs.getBytes(2), Result.parser()).record()),
                direction, ResultVerdict.State.INVALID.getNumber());
    }

    /** Every result of the commit, late ones included, in the order stored; this transaction's own too. */
    @Override
    public List<Trials.Entry> resultEntries(String commit) {
        return resultEntriesMemo.computeIfAbsent(commit,
                c -> TransactionScope.through(owned.resultEntries, wroteResultsFor, c, this::readResultEntries));
    }

    @Override
    public Map<String, List<Trials.Entry>> resultEntries(Collection<String> commits) {
        Map<String, List<Trials.Entry>> known = new LinkedHashMap<>();
        List<String> unread = new ArrayList<>();
        for (String c : commits) {
            List<Trials.Entry> hit = resultEntriesMemo.containsKey(c) ? resultEntriesMemo.get(c)
                    : wroteResultsFor.contains(c) ? null : owned.resultEntries.get(c);
            if (hit != null) {
                known.put(c, hit);
            } else {
                unread.add(c);
            }
        }
        // Not kept in the shared reads: a page of a thousand old commits would push out the few
        // that claims and results are reading now.
        Map<String, List<Trials.Entry>> read = new HashMap<>();
        q.listIn("SELECT r.envelope_seq, r.commit_id, e.id, e.bytes, r.late FROM results r "
                        + "JOIN envelopes e ON e.seq = r.envelope_seq WHERE r.commit_id IN", unread,
                rs -> new Keyed<>(rs.getLong(1), Map.entry(rs.getString(2), new Trials.Entry(rs.getString(3),
                        Rows.stored(rs.getBytes(4), Result.parser()).record(), rs.getInt(5) != 0))))
                .stream().sorted(Comparator.comparingLong(Keyed::key))
                .forEach(k -> read.computeIfAbsent(k.value().getKey(), c -> new ArrayList<>()).add(k.value().getValue()));
        Map<String, List<Trials.Entry>> all = new LinkedHashMap<>();
        for (String c : commits) {
            List<Trials.Entry> entries = known.containsKey(c) ? known.get(c) : List.copyOf(read.getOrDefault(c, List.of()));
            resultEntriesMemo.putIfAbsent(c, entries);
            all.put(c, entries);
        }
        return all;
    }

    @Override
    public SettlementReach settlementReach(String unitId, String commit) {
        // kind 0: the commit; 1: a direction; 2: a runner (the four reads of SettlementScope, as one)
        // With it, in the same round trip, the results of the commit the result names: a result
        // looks there first for itself stored already (a resend), before its locks.
        List<List<?>> read = q.together(List.of(new Queries.Read<Object[]>(
                "WITH c AS (SELECT COALESCE((SELECT commit_id FROM units WHERE id = ?), ?) AS commit_id) "
                + "SELECT 0, commit_id, CAST(NULL AS BYTEA) FROM c "
                + "UNION ALL SELECT 1, direction, NULL FROM units WHERE id = ? "
                + "UNION ALL SELECT 1, direction, NULL FROM experiments WHERE commit_id = (SELECT commit_id FROM c) "
                + "UNION ALL SELECT 1, name, NULL FROM directions WHERE frontier_commit = (SELECT commit_id FROM c) "
                + "UNION ALL SELECT 2, NULL, runner FROM results WHERE commit_id = (SELECT commit_id FROM c)",
                rs -> new Object[] {rs.getInt(1), rs.getString(2), rs.getBytes(3)}, unitId, commit, unitId),
                entriesRead(commit)));
        keepEntries(commit, read.get(1));
        @SuppressWarnings("unchecked")
        List<Object[]> rows = (List<Object[]>) read.get(0);
        String reached = commit;
        Set<String> directions = new HashSet<>();
        Set<ByteString> runners = new HashSet<>();
        for (Object[] row : rows) {
            switch ((Integer) row[0]) {
                case 0 -> reached = (String) row[1];
                case 1 -> directions.add((String) row[1]);
                default -> {
                    if (row[2] != null && ((byte[]) row[2]).length > 0) {
                        runners.add(ByteString.copyFrom((byte[]) row[2]));
                    }
                }
            }
        }
        return new SettlementReach(reached, directions, runners);
    }

    private List<Trials.Entry> readResultEntries(String commit) {
        Queries.Read<Trials.Entry> read = entriesRead(commit);
        return List.copyOf(q.list(read.sql(), read.row(), read.params()));
    }

    /** Every result of the commit ({@link #resultEntries}), for {@link #keepEntries}. */
    Queries.Read<Trials.Entry> entriesRead(String commit) {
        return new Queries.Read<>("SELECT e.id, e.bytes, r.late FROM results r JOIN envelopes e ON e.seq = r.envelope_seq "
                        + "WHERE r.commit_id = ? ORDER BY r.envelope_seq",
                rs -> new Trials.Entry(rs.getString(1), Rows.stored(rs.getBytes(2), Result.parser()).record(),
                        rs.getInt(3) != 0), commit);
    }

    /**
     * Keeps the rows of {@link #entriesRead}, as {@link #resultEntries} keeps what it reads, unless
     * this transaction wrote the commit's.
     */
    @SuppressWarnings("unchecked")
    void keepEntries(String commit, List<?> rows) {
        if (!wroteResultsFor.contains(commit)) {
            resultEntriesMemo.putIfAbsent(commit, List.copyOf((List<Trials.Entry>) rows));
        }
    }

    @Override
    public Optional<ResultVerdict.State> resultState(String envelopeId) {
        Optional<ResultVerdict.State> memo = resultStateMemo.get(envelopeId);
        if (memo != null) {
            return memo;
        }
        return Queries.first(q.list("SELECT state FROM result_states WHERE envelope_id = ?",
                rs -> ResultVerdict.State.forNumber(rs.getInt(1)), envelopeId));
    }

    @Override
    public void setResultState(String envelopeId, ResultVerdict.State state) {
        resultStateMemo.put(envelopeId, Optional.of(state));
        q.write("INSERT INTO result_states (envelope_id, state) VALUES (?, ?) "
                + "ON CONFLICT (envelope_id) DO UPDATE SET state = excluded.state", envelopeId, state.getNumber());
    }
}
