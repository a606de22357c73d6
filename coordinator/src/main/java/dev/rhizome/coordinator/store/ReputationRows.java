package dev.rhizome.coordinator.store;

import static dev.rhizome.coordinator.store.Rows.REPUTATION_COLUMNS;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.Reputation;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the coordinator learned of each key for one transaction: its reputation as a runner, its
 * record as a proposer, and the trials accepted on reputation with the hardware classes that ran
 * them. Reputations and proposer records are read on every claim and result, so they are kept
 * across transactions where one process owns the database.
 */
final class ReputationRows implements Reputations {
    private final TransactionScope scope;
    private final Queries q;
    private final OwnedReads owned;
    private final Set<ByteString> wroteReputations = new HashSet<>();
    private final Set<ByteString> wroteProposers = new HashSet<>();
    /** Proposers' records as this transaction left them, where known without a read (null: not known). */
    private final Map<ByteString, ProposerThrottle.Record> proposersKnown = new HashMap<>();
    /** A trial's hardware classes on reputation, by commit and random seed, as this transaction read them. */
    private final Map<String, Set<String>> reputationClassMemo = new HashMap<>();

    ReputationRows(TransactionScope scope) {
        this.scope = scope;
        this.q = scope.queries;
        this.owned = scope.owned;
    }

    /** Forgets what this transaction read of trials accepted on reputation. */
    void forgetReads() {
        reputationClassMemo.clear();
    }

    @Override
    public Optional<Reputation> reputation(ByteString runner) {
        return TransactionScope.through(owned.reputations, wroteReputations, runner, this::readReputation);
    }

    private Optional<Reputation> readReputation(ByteString runner) {
        return Queries.first(q.list("SELECT " + REPUTATION_COLUMNS + " FROM reputations WHERE runner = ?",
                rs -> Rows.reputation(rs).getValue(), runner.toByteArray()));
    }

    @Override
    public void saveReputation(ByteString runner, Reputation r) {
        TransactionScope.wrote(owned.reputations, wroteReputations, runner);
        scope.afterCommit.add(() -> owned.reputations.put(runner, Optional.of(r)));
        q.write("INSERT INTO reputations (" + REPUTATION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?) "
                        + "ON CONFLICT (runner) DO UPDATE SET valid_results = excluded.valid_results, "
                        + "invalid_results = excluded.invalid_results, error_results = excluded.error_results, "
                        + "consecutive_valid = excluded.consecutive_valid, credit_ms = excluded.credit_ms, "
                        + "daily_quota = excluded.daily_quota",
                runner.toByteArray(), r.valid(), r.invalid(), r.errors(), r.consecutiveValid(), r.creditMs(),
                r.dailyQuota());
    }

    @Override
    public List<Map.Entry<ByteString, Reputation>> reputations() {
        return q.list("SELECT " + REPUTATION_COLUMNS + " FROM reputations ORDER BY credit_ms DESC, valid_results DESC, "
                + "runner DESC", Rows::reputation);
    }

    @Override
    public List<Keyed<Store.CreditKey, Reputation>> reputations(Optional<Store.CreditKey> after, int limit) {
        // Row values compare column by column, so one comparison continues the three-column order.
        String sql = "SELECT " + REPUTATION_COLUMNS + " FROM reputations "
                + (after.isPresent() ? "WHERE (credit_ms, valid_results, runner) < (?, ?, ?) " : "")
                + "ORDER BY credit_ms DESC, valid_results DESC, runner DESC LIMIT ?";
        Queries.Row<Keyed<Store.CreditKey, Reputation>> row = rs -> {
            Map.Entry<ByteString, Reputation> e = Rows.reputation(rs);
            return new Keyed<>(new Store.CreditKey(e.getValue().creditMs(), e.getValue().valid(), e.getKey()),
                    e.getValue());
        };
        return after.isPresent()
                ? q.list(sql, row, after.get().creditMs(), after.get().valid(), after.get().runner().toByteArray(), limit)
                : q.list(sql, row, limit);
    }

    @Override
    public ProposerThrottle.Record proposerRecord(ByteString proposer) {
        return TransactionScope.through(owned.proposers, wroteProposers, proposer, this::readProposerRecord);
    }

    private ProposerThrottle.Record readProposerRecord(ByteString proposer) {
        return Queries.first(q.list("SELECT ok_results, crash_results, last_crash_ms FROM proposer_records "
                        + "WHERE proposer = ?", rs -> new ProposerThrottle.Record(rs.getInt(1), rs.getInt(2), rs.getLong(3)),
                proposer.toByteArray())).orElse(ProposerThrottle.Record.empty());
    }

    @Override
    public void addToProposerRecord(ByteString proposer, ProposerThrottle.Record outcomes) {
        // The record after this write is known without a read where the one before it was (kept,
        // or known from this transaction's earlier write): that one enters the kept reads once
        // committed, in commit order, as any other write's value does; else the key is read again.
        ProposerThrottle.Record before = proposersKnown.containsKey(proposer) ? proposersKnown.get(proposer)
                : wroteProposers.contains(proposer) ? null : owned.proposers.get(proposer);
        TransactionScope.wrote(owned.proposers, wroteProposers, proposer);
        proposersKnown.put(proposer, before == null ? null : before.plus(outcomes));
        scope.afterCommit.add(() -> {
            ProposerThrottle.Record after = proposersKnown.get(proposer);
            if (after != null) {
                owned.proposers.put(proposer, after);
            } else {
                owned.proposers.remove(proposer);
            }
        });
        q.update("INSERT INTO proposer_records (proposer, ok_results, crash_results, last_crash_ms) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (proposer) DO UPDATE SET "
                        + "ok_results = proposer_records.ok_results + excluded.ok_results, "
                        + "crash_results = proposer_records.crash_results + excluded.crash_results, "
                        + "last_crash_ms = CASE WHEN excluded.last_crash_ms > proposer_records.last_crash_ms "
                        + "THEN excluded.last_crash_ms ELSE proposer_records.last_crash_ms END",
                proposer.toByteArray(), outcomes.okResults(), outcomes.crashResults(), outcomes.lastCrashMs());
    }

    @Override
    public Set<String> reputationClasses(String commit, long randomSeed) {
        // settlement asks for one trial's classes up to three times a result; they change only below
        return new LinkedHashSet<>(reputationClassMemo.computeIfAbsent(commit + "/" + randomSeed, k -> new LinkedHashSet<>(
                q.list("SELECT hardware_class FROM reputation_trials WHERE commit_id = ? AND random_seed = ?",
                        rs -> rs.getString(1), commit, randomSeed))));
    }

    @Override
    public Map<String, Map<Long, Set<String>>> reputationClasses(Collection<String> commits) {
        Map<String, Map<Long, Set<String>>> classes = new HashMap<>();
        q.listIn("SELECT commit_id, random_seed, hardware_class FROM reputation_trials WHERE commit_id IN", commits,
                rs -> new Keyed<>(rs.getString(1), Map.entry(rs.getLong(2), rs.getString(3))))
                .forEach(k -> classes.computeIfAbsent(k.key(), c -> new HashMap<>())
                        .computeIfAbsent(k.value().getKey(), s -> new LinkedHashSet<>()).add(k.value().getValue()));
        return classes;
    }

    @Override
    public int reputationTrialsBy(String commit, ByteString runner) {
        return (int) q.count("SELECT COUNT(*) FROM reputation_trials WHERE commit_id = ? AND runner = ?", commit,
                runner.toByteArray());
    }

    @Override
    public void markAcceptedOnReputation(String commit, long randomSeed, String hardwareClass, ByteString runner) {
        reputationClassMemo.remove(commit + "/" + randomSeed);
        q.update("INSERT INTO reputation_trials (commit_id, random_seed, hardware_class, runner) VALUES (?, ?, ?, ?)",
                commit, randomSeed, hardwareClass, runner.toByteArray());
    }
}
