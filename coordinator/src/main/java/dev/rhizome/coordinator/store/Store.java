package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionLoad;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.Similarity;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.proto.v1.Adoption;
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
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The coordinator's durable state. All reads and writes happen inside {@link #inTransaction}: the
 * work commits when it returns and rolls back when it throws, and a commit is durable on disk
 * before it returns, so whatever the coordinator acknowledges survives a crash.
 */
public interface Store extends AutoCloseable {

    <T> T inTransaction(Work<T> work);

    /**
     * Like {@link #inTransaction}, except that a store shared by several coordinators may run it
     * beside its other writers: it is serialized only with the transactions that name one of the
     * same {@code keys}, until the work calls {@link Transaction#serializeWithWriters}. A claim
     * runs so, keyed by its claimant and its network; whatever else it changes must be safe
     * against writers running at the same time (the store's row locks on the open queue make it
     * so for the unit it leases). The SQLite store has one writer and runs it like any other.
     */
    default <T> T inKeyedTransaction(List<String> keys, Work<T> work) {
        return inTransaction(work);
    }

    /**
     * A transaction that only reads: it may run beside the writers, on a snapshot of what was
     * committed when its first read ran, and must not write. The coordinator's views (lists,
     * boards, reports, the dashboard) run in one, so that a long read never holds up claims and
     * results: the SQLite store runs every writing transaction on one thread, and a view of a
     * large history queued there would stall the whole network behind it.
     */
    default <T> T inReadTransaction(Work<T> work) {
        return inTransaction(work);
    }

    /**
     * What keeps the store from taking work now, if anything: a full disk, a database out of reach,
     * a committer that stopped. Reported by {@code /healthz} (503), so a supervisor or load balancer
     * sees what every request meanwhile is told.
     */
    default Optional<String> trouble() {
        return Optional.empty();
    }

    /**
     * Completes, with the failure, when the store will never serve: its database, waited for since
     * the coordinator started, answered at last and refused it for a reason waiting will not cure
     * (a wrong password, a database that does not exist). Never completes for a store already open.
     */
    default CompletionStage<IOException> refusal() {
        return new CompletableFuture<IOException>().minimalCompletionStage();
    }

    /**
     * Rows this store has read since it opened, by every transaction of this process (see
     * {@link RowsRead}): metric {@code rhizome_store_rows_read_total}.
     */
    default long rowsRead() {
        return 0;
    }

    @Override
    void close();

    @FunctionalInterface
    interface Work<T> {
        T run(Transaction tx);
    }

    /** Where a page of volunteers ends: most credit first, then most valid results, then by key. */
    /**
     * A result of a direction as its leaderboard reads it: its key, and whether it counts toward
     * its commit's mean (neither late nor found INVALID by its trial).
     */
    record BoardResult(long seq, Result result, boolean counted) {
    }

    record CreditKey(long creditMs, int valid, ByteString runner) {
    }

    /** Where a page of adoptions ends: in the order decided (audit count, time), then by direction and commit. */
    record AdoptionKey(long auditCount, long adoptedMs, String direction, String commit) {
    }

    /** Signed records are stored as their envelopes and read back from them. */
    interface Transaction {
        /**
         * From here to its end this transaction runs alone among the store's writers, and what it
         * reads next sees everything they committed; true when that was not so before (a keyed
         * transaction in a shared store), so that the caller reads again what it read before.
         * Called before this transaction locks or changes anything, where it must: before
         * changing state other than its keys' and the unit it leases.
         */
        default boolean serializeWithWriters() {
            return false;
        }

        Optional<Stored<Seed>> seed(String name);

        List<Stored<Seed>> seeds();

        void insertSeed(Seed seed, SignedEnvelope envelope, long nowMs);

        Optional<DirectionRecord> direction(String name);

        /** In the order they were opened. */
        List<DirectionRecord> directions();

        /** Stores a new direction whose frontier is its base commit, not yet measured. */
        void insertDirection(Direction direction, SignedEnvelope envelope, long nowMs);

        void updateFrontier(String direction, Frontier frontier);

        /** Records that an operator closed a direction; false when it was already closed. */
        boolean closeDirection(String direction, String reason, long nowMs);

        /** Closed directions and why, by name. */
        Map<String, String> closedDirections();

        /** Those of the directions named that are closed, and why: reads only their closures. */
        Map<String, String> closedDirections(Collection<String> directions);

        /** Records an operator's ban of a key; false when it was already banned. */
        boolean banKey(com.google.protobuf.ByteString key, String reason, long nowMs);

        /** Banned keys and why. */
        Map<com.google.protobuf.ByteString, String> bannedKeys();

        void setBaselineMetric(String direction, double metric);

        Optional<Stored<Experiment>> experiment(String commit);

        /** Of one direction, or all when {@code direction} is empty, in the order registered. */
        List<Stored<Experiment>> experiments(String direction);

        void insertExperiment(Experiment experiment, SignedEnvelope envelope, long nowMs);

        /** The result stored from exactly this envelope, if any. */
        Optional<Stored<Result>> resultByEnvelopeId(String envelopeId);

        Optional<Stored<Result>> resultOfUnit(String unitId, ByteString runner);

        void insertResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs);

        /**
         * Stores a result that came after its unit was re-leased to another key: found by
         * {@link #resultOfUnit} and in the audit trail like any other, but a late entry in
         * {@link #resultEntries} (never a replica) and left out of {@link #resultsForCommit}.
         */
        void insertLateResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs);

        /** Results of a commit that count (late ones left out), oldest first. */
        List<Result> resultsForCommit(String commit);

        /** Filtered by direction and commit where not empty, oldest first. */
        List<SignedEnvelope> resultEnvelopes(String direction, String commit);

        int countResults(String direction);

        Optional<UnitRecord> unit(String id);

        void insertUnit(UnitRecord unit);

        void updateUnit(UnitRecord unit);

        default void recordLease(String unitId, ByteString holder, long nowMs) {
            recordLease(unitId, holder, nowMs, ByteString.EMPTY);
        }

        default void recordLease(String unitId, ByteString holder, long nowMs, ByteString claimNonce) {
            recordLease(unitId, holder, nowMs, claimNonce, Long.MIN_VALUE, "");
        }

        /**
         * Records a lease; the nonce of the claim that took it (empty: none), so a resent claim
         * finds it; the claim's own signed time ({@code Long.MIN_VALUE}: none), after which the
         * lease's renewals must be signed ({@link #recordRenewal}); and the network it was claimed
         * from ({@link dev.rhizome.coordinator.core.ReplicaNetworks#of}; "" for none), which keeps
         * that network off the unit's trial for a while.
         */
        void recordLease(String unitId, ByteString holder, long nowMs, ByteString claimNonce, long signedMs,
                String network);

        /**
         * The unit that {@code node}'s claim with this nonce was leased, among leases made at or after
         * {@code sinceMs}: a claim whose answer was lost (the coordinator died after committing it)
         * is sent again with the same nonce, and gets that unit back.
         */
        Optional<String> unitClaimedWith(ByteString node, ByteString claimNonce, long sinceMs);

        boolean everLeasedTo(String unitId, ByteString node);

        /** The distinct keys {@code unitId} was ever leased to. */
        Set<ByteString> leaseHolders(String unitId);

        List<UnitRecord> expiredLeases(long nowMs);

        /** LEASED units whose holder is {@code node}. */
        int leasesHeldBy(ByteString node);

        /**
         * What a claim checks about its claimant, read together: the leases it holds now, its
         * reputation, and the leases handed to it at or after {@code sinceMs}. A store may answer
         * in one query instead of three (every claim asks).
         */
        default Claimant claimant(ByteString node, long sinceMs) {
            return new Claimant(leasesHeldBy(node), reputation(node), leasesSince(node, sinceMs));
        }

        /** Renewals so far of the newest lease of {@code unitId} to {@code holder}. */
        int leaseRenewals(String unitId, ByteString holder);

        /**
         * Counts one renewal, signed at {@code signedMs}, of the newest lease of {@code unitId} to
         * {@code holder}; false, counting nothing, when that lease's claim or a renewal already
         * counted was signed at or after it (a captured renewal sent again, or an older one late).
         */
        boolean recordRenewal(String unitId, ByteString holder, long signedMs);

        /**
         * Remembers a claim's nonce; false when this node already used it (a replayed claim).
         * {@code timeMs} is the claim's own time, by which {@link #forgetClaimNonces} prunes.
         */
        boolean useClaimNonce(ByteString node, ByteString nonce, long timeMs);

        /** Drops nonces of claims made before {@code beforeMs}: the replay window refuses those anyway. */
        int forgetClaimNonces(long beforeMs);

        /** OPEN EVALUATE units, oldest first. */
        List<UnitRecord> openEvaluations();

        /**
         * A page of OPEN EVALUATE units, oldest first, leaving out those whose commit {@code node}
         * already reported on or holds a lease for: what a claim looks at, read along the index
         * on (state, kind, seq) rather than by scanning every open unit. Reservations are not looked at.
         */
        List<UnitRecord> openEvaluationsFor(ByteString node, int offset, int limit);

        /**
         * Like {@link #openEvaluationsFor(ByteString, int, int)}, also leaving out units reserved
         * (still at {@code nowMs}) for other keys than {@code node}.
         */
        default List<UnitRecord> openEvaluationsFor(ByteString node, long nowMs, int offset, int limit) {
            return openEvaluationsFor(node, "", nowMs, offset, limit);
        }

        /**
         * Like {@link #openEvaluationsFor(ByteString, long, int, int)}, for a claimant from
         * {@code network} ({@link dev.rhizome.coordinator.core.ReplicaNetworks#of}), also leaving
         * out units whose trial the claimant's network may not take yet
         * ({@link dev.rhizome.coordinator.core.ReplicaNetworks#mayTake}).
         */
        List<UnitRecord> openEvaluationsFor(ByteString node, String network, long nowMs, int offset, int limit);

        /** Reserves a unit for {@code nodes} until {@code untilMs} (see {@link dev.rhizome.coordinator.core.SpotChecks}). */
        void reserveUnit(String unitId, List<ByteString> nodes, long untilMs);

        /** The keys a unit is reserved for at {@code nowMs}; empty when it is open to all. */
        List<ByteString> reservation(String unitId, long nowMs);

        /** Commits of open evaluations that {@code node} already reported on or holds a lease for. */
        Set<String> commitsTouchedBy(ByteString node);

        /** Units in a state, or all when {@code state} is empty, oldest first. */
        List<UnitRecord> units(Optional<UnitStatus.State> state);

        int pendingUnitsForCommit(String commit);

        List<DirectionLoad> directionLoads();

        /** Records who claimed an EXPLORE unit and the hypothesis they stated (may be empty). */
        void recordExploreClaim(String unitId, String direction, boolean builtinExplorer, String hypothesis,
                long nowMs);

        /** Per direction: LEASED EXPLORE units held by claimants other than the built-in explorer. */
        Map<String, Integer> leasedAgentExplorations();

        /** Non-empty hypotheses stated in claims on a direction since {@code sinceMs}, newest first. */
        List<Similarity.Text> recentHypotheses(String direction, long sinceMs, int limit);

        void insertPaper(Paper paper, SignedEnvelope envelope, String envelopeId, long nowMs);

        boolean hasPaper(String envelopeId);

        /** Of one direction, or all when empty, newest first. */
        List<SignedEnvelope> papers(String direction);

        default boolean announce(NodeAnnouncement announcement, long nowMs) {
            return announce(announcement, "", nowMs);
        }

        /**
         * Records the node's endpoint and the network its announcement came from
         * ({@link dev.rhizome.coordinator.core.ReplicaNetworks#of}; "" for none), and replaces the
         * set of commits it holds; false, changing nothing (not even when the node was last seen),
         * when an announcement of the node signed at or after this one's {@code time_ms} is on
         * record (a captured one sent again, or an older one late).
         */
        boolean announce(NodeAnnouncement announcement, String network, long nowMs);

        /** Nodes holding {@code commit} (any node when empty), most recently seen first. */
        List<PeerEndpoint> peers(String commit, int limit);

        /** Nodes that announced at or after {@code sinceMs}, most recently seen first. */
        List<PeerEndpoint> nodesSeenSince(long sinceMs, int limit);

        /**
         * Whether some node announced at or after {@code sinceMs} from another network than
         * {@code network} (or from none known): whether anyone else could take the replicas a
         * claimant from {@code network} is kept off.
         */
        boolean nodeSeenOutside(String network, long sinceMs);

        /**
         * Nodes that announced at or after {@code sinceMs}, most recently seen first, with the host
         * each announced and the network its latest announcement came from: whom a spot check may choose.
         */
        List<SpotChecks.Candidate> spotCheckCandidates(long sinceMs, int limit);

        /** Up to {@code limit} nodes seen since then whose key has at least one valid result on record (runners with standing). */
        Set<ByteString> runnersWithStandingSeenSince(long sinceMs, int limit);

        CoordinatorStats stats();

        /** Every stored signed record, in the order accepted. */
        List<SignedEnvelope> auditTrail();

        // --- daily write counts (core.WriteQuota) --------------------------------------------

        /** Writes of {@code kind} counted on the day starting {@code dayMs} under each scope; 0 for one never counted. */
        Map<String, Integer> writeCounts(String kind, long dayMs, List<String> scopes);

        /** Counts one write of {@code kind} on the day starting {@code dayMs} under each scope. */
        void countWrite(String kind, long dayMs, List<String> scopes);

        /** Forgets the counts of days before {@code dayMs}; returns how many rows went. */
        int forgetWriteCounts(long beforeDayMs);

        /** Whether this key has announced itself as a node before. */
        boolean knownNode(ByteString node);

        // --- trust: trials, validation states, reputation, quotas, adoptions ----------------

        /** The random seed an EVALUATE unit runs at. */
        void setUnitRandomSeed(String unitId, long randomSeed);

        OptionalLong unitRandomSeed(String unitId);

        /** Results for a commit with their envelope ids, oldest first. */
        List<Trials.Entry> resultEntries(String commit);

        /** The last validation state written for a result. */
        Optional<ResultVerdict.State> resultState(String envelopeId);

        void setResultState(String envelopeId, ResultVerdict.State state);

        /** Hardware classes in which this trial was accepted on one trusted runner's result. */
        Set<String> reputationClasses(String commit, long randomSeed);

        /** Trials of {@code commit} accepted on {@code runner}'s reputation alone. */
        int reputationTrialsBy(String commit, ByteString runner);

        void markAcceptedOnReputation(String commit, long randomSeed, String hardwareClass, ByteString runner);

        Optional<Reputation> reputation(ByteString runner);

        void saveReputation(ByteString runner, Reputation reputation);

        /** Every runner with a reputation, most credit first. */
        List<Map.Entry<ByteString, Reputation>> reputations();

        /** Leases handed to {@code node} at or after {@code sinceMs}. */
        int leasesSince(ByteString node, long sinceMs);

        ProposerThrottle.Record proposerRecord(ByteString proposer);

        void saveProposerRecord(ByteString proposer, ProposerThrottle.Record record);

        /** OPEN EVALUATE units whose trial (commit and random seed) {@code node} already reported on or holds. */
        Set<String> unitsBarredFor(ByteString node);

        /** OPEN or LEASED EVALUATE units of a commit, at every random seed, oldest first. */
        List<UnitRecord> pendingUnitsOfCommit(String commit);

        /** Marks a commit's evaluations given up, with why; replaces the reason if already marked. */
        void abandonExperiment(String commit, String reason, long nowMs);

        /** Why the commit's evaluations were given up, or empty when they were not. */
        Optional<String> abandonment(String commit);

        /** OPEN or LEASED EVALUATE units of one trial. */
        List<UnitRecord> pendingUnitsOfTrial(String commit, long randomSeed);

        void insertAdoption(Adoption adoption);

        /** Of one direction, or all when empty, in the order decided. */
        List<Adoption> adoptions(String direction);

        /** Signed records accepted so far: one kept count, read as one row ({@link StoreCounters}). */
        long auditCount();

        // --- pages of the lists that grow with history (docs/api.md "Paging") -------------------
        // Each reads at most `limit` rows along an index, after the key where the previous page
        // ended (keyset paging), so a page costs the same however long the history is. Keys are
        // sequence numbers in the order rows were committed (see WriteOrder.appendInOrder in the JDBC
        // transaction), so rows committed between two pages are neither skipped nor repeated.

        /** Seeds published after envelope {@code afterSeq}, in the order published. */
        List<Keyed<Long, Stored<Seed>>> seeds(long afterSeq, int limit);

        /** Directions opened after envelope {@code afterSeq}, in the order opened. */
        List<Keyed<Long, DirectionRecord>> directions(long afterSeq, int limit);

        /** Open directions ({@code closed} false) or closed ones, opened after envelope {@code afterSeq}, in the order opened. */
        List<Keyed<Long, DirectionRecord>> directions(boolean closed, long afterSeq, int limit);

        /** How many directions there are and how many are closed, kept as they are written. */
        HistoryCounts.DirectionTotals directionTotals();

        /** The experiments of the commits named that are experiments (one read of all), in no particular order. */
        List<Stored<Experiment>> experiments(Collection<String> commits);

        /** Experiments registered on a direction (all when empty). */
        int countExperiments(String direction);

        /** Of one direction, or all when empty, registered after envelope {@code afterSeq}, oldest first. */
        List<Keyed<Long, Stored<Experiment>>> experiments(String direction, long afterSeq, int limit);

        /** Filtered by direction and commit where not empty, after envelope {@code afterSeq}, oldest first. */
        List<Keyed<Long, SignedEnvelope>> resultEnvelopes(String direction, String commit, long afterSeq, int limit);

        /**
         * A direction's results that count toward its commits' means: neither late nor found
         * INVALID by their trial; oldest first. One read where a leaderboard took one per commit.
         */
        List<Trials.Entry> countedResults(String direction);

        /**
         * A direction's results stored after envelope {@code afterSeq}, oldest first, each with
         * whether it counts toward its commit's mean now ({@link BoardResult}).
         */
        List<BoardResult> boardResultsAfter(String direction, long afterSeq);

        /** The key of the last change to whether a result counts ({@link #boardResultsChangedAfter}); 0 when none. */
        long lastBoardChange();

        /**
         * A direction's results whose counting changed (found INVALID by their trial, or no longer)
         * after change {@code afterChange}, each once, as it is now, oldest first.
         */
        List<BoardResult> boardResultsChangedAfter(String direction, long afterChange);

        /** A direction's newest {@code limit} experiments, newest first. */
        List<Stored<Experiment>> newestExperiments(String direction, int limit);

        /** A direction's newest {@code limit} results, newest first. */
        List<SignedEnvelope> newestResultEnvelopes(String direction, int limit);

        /** A direction's experiments registered before envelope {@code beforeSeq}, newest first. */
        List<Keyed<Long, Stored<Experiment>>> newestExperiments(String direction, long beforeSeq, int limit);

        /** A direction's results stored before envelope {@code beforeSeq}, newest first. */
        List<Keyed<Long, SignedEnvelope>> newestResultEnvelopes(String direction, long beforeSeq, int limit);

        /** The totals of what is only added to: counts kept by the database as it writes ({@link StoreCounters}). */
        HistoryCounts.Totals historyTotals();

        /** Each named direction's experiments and results, kept as they are written; in the order named. */
        Map<String, HistoryCounts.OfDirection> directionCounts(Collection<String> directions);

        /** Units open and leased now, counted along the state index. */
        HistoryCounts.InProgress unitsInProgress();

        /** Nodes known and leases ever expired: counts kept by the database as it writes, read as two rows ({@link StoreCounters}). */
        HistoryCounts.Standing standing();

        /** The seed of a commit that has units (an experiment or a direction's base), by one index probe. */
        Optional<String> seedOfCommit(String commit);

        /** Units in a state (all when empty) created after unit {@code afterSeq}, oldest first. */
        List<Keyed<Long, UnitRecord>> units(Optional<UnitStatus.State> state, long afterSeq, int limit);

        /** Of one direction, or all when empty, published before envelope {@code beforeSeq}, newest first. */
        List<Keyed<Long, SignedEnvelope>> papers(String direction, long beforeSeq, int limit);

        /** Signed records accepted after envelope {@code afterSeq}, in the order accepted. */
        List<Keyed<Long, SignedEnvelope>> auditTrail(long afterSeq, int limit);

        /** Runners with a reputation after {@code after} (from the first when empty), most credit first. */
        List<Keyed<CreditKey, Reputation>> reputations(Optional<CreditKey> after, int limit);

        /** Of one direction, or all when empty, decided after {@code after} (from the first when empty). */
        List<Keyed<AdoptionKey, Adoption>> adoptions(String direction, Optional<AdoptionKey> after, int limit);
    }
}
