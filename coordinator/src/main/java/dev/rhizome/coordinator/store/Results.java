package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Signed results, late ones apart, and the validation state their trial gave each. Part of
 * {@link Store.Transaction}.
 */
public interface Results {
    /** The result stored from exactly this envelope, if any. */
    Optional<Stored<Result>> resultByEnvelopeId(String envelopeId);

    Optional<Stored<Result>> resultOfUnit(String unitId, ByteString runner);

    /** Stores a result sent from no known network (a replay, a test's store). */
    default void insertResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs) {
        insertResult(result, envelope, envelopeId, nowMs, "");
    }

    /**
     * Stores a result sent from {@code network} ({@link dev.rhizome.coordinator.core.ReplicaNetworks#of}
     * of the request's origin; "" for none): a key may claim from one network and report from
     * another, and a spot check counts both as the key's.
     */
    void insertResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs, String network);

    /**
     * Stores a result that came after its unit was re-leased to another key: found by
     * {@link #resultOfUnit} and in the audit trail like any other, but a late entry in
     * {@link #resultEntries} (never a replica) and left out of {@link #resultsForCommit}.
     */
    default void insertLateResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs) {
        insertLateResult(result, envelope, envelopeId, nowMs, "");
    }

    /** The same, sent from {@code network} ({@link #insertResult(Result, SignedEnvelope, String, long, String)}). */
    void insertLateResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs, String network);

    /** Results of a commit that count (late ones left out), oldest first. */
    List<Result> resultsForCommit(String commit);

    /** Filtered by direction and commit where not empty, oldest first. */
    List<SignedEnvelope> resultEnvelopes(String direction, String commit);

    int countResults(String direction);

    /** Results for a commit with their envelope ids, oldest first. */
    List<Trials.Entry> resultEntries(String commit);

    /**
     * What settling a result of unit {@code unitId} may reach: the unit's commit ({@code commit}
     * where no such unit is stored), the unit's direction, its experiment's, those whose frontier
     * is that commit, and the runners of its results. One statement, from one snapshot, where
     * reading the unit, the experiment, the directions and the results took four: a settling
     * result names its locks from it before it holds them (and so reads nothing kept). The
     * results of {@code commit} ({@link #resultEntries}) come with it, in its round trip, and are
     * read from there until the locks are taken: a result looks there for itself first (a resend).
     */
    SettlementReach settlementReach(String unitId, String commit);

    /**
     * {@link #resultEntries} of each commit named (each present, empty where it has none), read in
     * a few statements however many commits: a page of a thousand commits asked one at a time
     * was a thousand round trips to PostgreSQL.
     */
    Map<String, List<Trials.Entry>> resultEntries(Collection<String> commits);

    /** The last validation state written for a result. */
    Optional<ResultVerdict.State> resultState(String envelopeId);

    void setResultState(String envelopeId, ResultVerdict.State state);

    /** Filtered by direction and commit where not empty, after envelope {@code afterSeq}, oldest first. */
    List<Keyed<Long, SignedEnvelope>> resultEnvelopes(String direction, String commit, long afterSeq, int limit);

    /**
     * A direction's results that count toward its commits' means: neither late nor found
     * INVALID by their trial; oldest first. One read where a leaderboard took one per commit.
     */
    List<Trials.Entry> countedResults(String direction);

    /** A direction's newest {@code limit} results, newest first. */
    default List<SignedEnvelope> newestResultEnvelopes(String direction, int limit) {
        return newestResultEnvelopes(direction, Long.MAX_VALUE, limit).stream().map(Keyed::value).toList();
    }

    /** A direction's results stored before envelope {@code beforeSeq}, newest first. */
    List<Keyed<Long, SignedEnvelope>> newestResultEnvelopes(String direction, long beforeSeq, int limit);

    /**
     * The newest results before envelope {@code beforeSeq}, newest first, of one direction or all
     * when empty, and of one commit or all when empty (`rhizome results --limit N`: the newest N read
     * at the coordinator, not the whole listing cut in the client).
     */
    List<Keyed<Long, SignedEnvelope>> newestResultEnvelopes(String direction, String commit, long beforeSeq, int limit);
}
