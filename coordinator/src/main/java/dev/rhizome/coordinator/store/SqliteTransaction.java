package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ComparisonClasses;
import dev.rhizome.coordinator.core.DirectionLoad;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.Similarity;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.coordinator.core.StarvedGiveBacks;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.Direction;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.OperatorTerm;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.PeerEndpoint;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Seed;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.proto.v1.UnderWay;
import dev.rhizome.proto.v1.UnitStatus;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@link Store.Transaction} for both stores, over one JDBC connection: one instance serves one
 * transaction. Each concern's interface is implemented by the class that owns its tables
 * ({@link DirectionRows}: {@link Seeds} and {@link Directions}; {@link ResultRows}:
 * {@link Experiments} and {@link Results}; {@link UnitRows}: {@link Units}; {@link ClaimQueue}:
 * {@link OpenEvaluations}; {@link ReputationRows}: {@link Reputations}; {@link NodeRows}:
 * {@link Nodes}; {@link PaperRows}: {@link Papers}; {@link AuditRows}: {@link AuditTrail};
 * {@link QuotaRows}: {@link Quotas} and {@link Bans}; {@link ExploreClaims}:
 * {@link Explorations}), whose SQL both SQLite and PostgreSQL accept (where they differ,
 * {@link Dialect} says how); the counts ({@link Boards}, {@link Counts}) are read by
 * {@link BoardRows}, {@link HistoryCounts}, {@link StoreCounters} and {@link CommitSeeds}. They
 * share the transaction's statements, write order and kept reads ({@link TransactionScope}).
 * This class builds them and hands each method to its owner: Java has no delegation, so that is
 * one line per method, which the compiler checks against both the owner's interface and this one.
 * The name is historical; it is the JDBC transaction.
 */
final class SqliteTransaction implements Store.Transaction {
    private final Queries queries;
    private final WriteOrder order;
    private final UnitWrites unitWrites;
    private final DirectionRows directions;
    private final ReputationRows reputations;
    private final UnitRows units;
    private final ResultRows results;
    private final ClaimQueue claims;
    private final NodeRows nodes;
    private final PaperRows papers;
    private final AuditRows audit;
    private final QuotaRows quotas;
    private final ExploreClaims explorations;
    private final CandidateRows candidates;
    private final ConfirmationRows confirmations;
    private final PathRows paths;
    private final TransactionScope scope;
    /** The advisory keys of a settlement's locks; null on the SQLite store, which takes none. */
    private final SettlementLocks settlementLocks;

    SqliteTransaction(Connection connection) {
        this(connection, Statements.uncached(connection), new SeedCache(), OwnedReads.none());
    }

    SqliteTransaction(Connection connection, Statements statements, SeedCache seeds, OwnedReads owned) {
        this(connection, new Queries(statements), seeds, owned, null);
    }

    /**
     * A writing transaction of {@link PostgresStore}, which locks what it changes (see there): the
     * writers' lock (its second key given here), its keys', and the units it reads to change.
     */
    SqliteTransaction(Connection connection, Statements statements, SeedCache seeds, OwnedReads owned,
            int writersLock) {
        this(connection, new Queries(statements), seeds, owned, writersLock);
    }

    /** {@code writersLock} null: the SQLite store's, whose one writer takes no locks. */
    private SqliteTransaction(Connection connection, Queries queries, SeedCache seeds, OwnedReads owned,
            Integer writersLock) {
        this.queries = queries;
        this.order = writersLock == null ? WriteOrder.single(queries)
                : WriteOrder.shared(queries, writersLock, this::forgetReadsBeforeTheWritersLock);
        this.scope = new TransactionScope(queries, order, owned);
        this.settlementLocks = writersLock == null ? null : new SettlementLocks(writersLock);
        this.unitWrites = new UnitWrites(owned);
        this.directions = new DirectionRows(scope, seeds);
        this.reputations = new ReputationRows(scope);
        this.units = new UnitRows(scope, unitWrites, reputations);
        this.results = new ResultRows(scope);
        this.claims = new ClaimQueue(scope, unitWrites, units, results, directions);
        this.nodes = new NodeRows(scope);
        this.papers = new PaperRows(scope);
        this.audit = new AuditRows(scope);
        this.quotas = new QuotaRows(queries);
        this.explorations = new ExploreClaims(queries);
        this.candidates = new CandidateRows(queries);
        this.confirmations = new ConfirmationRows(queries, seeds);
        this.paths = new PathRows(queries);
    }

    /** What was read before waiting for the writers' lock may have changed since (seeds never do). */
    private void forgetReadsBeforeTheWritersLock() {
        directions.forgetReads();
        results.forgetReads();
        units.forgetReads();
        reputations.forgetReads();
    }

    @Override
    public String networkId() {
        return Queries.first(queries.list("SELECT id FROM rhizome_network", rs -> rs.getString(1)))
                .orElseThrow(() -> new IllegalStateException("the store has no network id (schema 23 makes one)"));
    }

    @Override
    public boolean serializeWithWriters() {
        return order.serializeWithWriters();
    }

    /** Takes the transaction-scoped locks of a keyed transaction (PostgreSQL), in the order given. */
    void lockKeys(int[] keys) {
        order.lockKeys(keys);
    }

    @Override
    public boolean lockOneSlot(String group, int slots) {
        return order.lockOneSlot(group, slots);
    }

    @Override
    public void lockEverySlot(String group, int slots) {
        order.lockEverySlot(group, slots);
    }

    /** Holds the writers' lock shared: this transaction settles a result beside others (PostgreSQL). */
    void settleBesideOthers() {
        order.settleBesideOthers();
    }

    @Override
    public boolean settlesBesideOthers() {
        return order.settlesBesideOthers();
    }

    @Override
    public boolean lockForSettlement(Collection<String> directions, String commit, Collection<ByteString> keys) {
        if (!order.settlesBesideOthers()) {
            return false;
        }
        order.lockForSettlement(settlementLocks.keys(directions, commit, keys), List.of());
        return true;
    }

    /**
     * The locks, and in the same round trip, once they are held, what settlement reads first: the
     * unit (locked) and its random seed, and the commit's experiment, directions and results.
     * Each was a round trip of its own after the locks; each is kept as the read it replaces
     * would have kept it.
     */
    @Override
    public boolean lockForSettlement(String unitId, Collection<String> directions, String commit,
            Collection<ByteString> keys) {
        return lockForSettlement(unitId, null, directions, commit, keys);
    }

    /**
     * The same, and the class of {@code runner}'s lease of the unit (null: not read), which
     * intake checks once the unit is locked: a round trip of its own in round 33.
     */
    @Override
    public boolean lockForSettlement(String unitId, ByteString runner, Collection<String> directions, String commit,
            Collection<ByteString> keys) {
        if (!order.settlesBesideOthers()) {
            return false;
        }
        List<Queries.Read<?>> reads = new ArrayList<>(List.of(units.lockedUnitRead(unitId), units.randomSeedRead(unitId),
                results.experimentRead(commit), this.directions.directionsOnRead(commit), results.entriesRead(commit)));
        if (runner != null) {
            reads.add(units.leaseClassRead(unitId, runner));
        }
        List<List<?>> read = order.lockForSettlement(settlementLocks.keys(directions, commit, keys), reads);
        units.keepLocked(unitId, read.get(0));
        units.keepRandomSeed(unitId, read.get(1));
        results.keepExperiment(commit, read.get(2));
        this.directions.keepDirectionsOn(commit, read.get(3));
        results.keepEntries(commit, read.get(4));
        if (runner != null) {
            units.keepLeaseClass(unitId, runner, read.get(5));
        }
        return true;
    }

    /** This transaction's statements: a test's way to run one the store itself does not. */
    Queries queries() {
        return queries;
    }

    /** Run by the store once this transaction is committed, in the order written (never if it rolled back). */
    List<Runnable> afterCommit() {
        return scope.afterCommit;
    }

    /**
     * Whether this transaction stored a signed record or leased a unit: what a client is answered
     * for, so where a crash test holds a commit (not the sweeps' or the start's transactions).
     */
    boolean storedRecordsOrLeases() {
        return scope.envelopesStored > 0 || scope.leasesRecorded;
    }

    /** Whether this transaction opened work ({@link UnitsOpened}): told once it commits. */
    boolean unitsOpened() {
        return scope.unitsOpened;
    }

    /** Whether what this transaction opened is work beyond ended leases ({@link TransactionScope#workOpened}). */
    boolean workOpened() {
        return scope.workOpened;
    }

    /** Whether this transaction left a unit OPEN (inserted or reopened), not only ended leases. */
    boolean unitsMadeOpen() {
        return scope.unitsMadeOpen;
    }

    /** Called by the store once this caller's savepoint is released (see {@link UnitWrites#released}). */
    void released() {
        unitWrites.released();
    }

    /**
     * Sends the writes still waiting for a next statement ({@link Queries#write}) and runs their
     * checks: the store calls it before it commits, so nothing is committed unchecked.
     */
    void sendWaitingWrites() {
        queries.flush();
    }

    /** Rows this transaction's statements changed, as counted ({@link Queries#rowsChanged}). */
    long rowsChanged() {
        return queries.rowsChanged();
    }

    /** Runs a statement no store method runs (tests that break the database on purpose). */
    int update(String sql, Object... params) {
        return queries.update(sql, params);
    }

    // --- seeds, directions, closures ---------------------------------------------------------

    @Override
    public Optional<Stored<Seed>> seed(String name) {
        return directions.seed(name);
    }

    @Override
    public List<Stored<Seed>> seeds() {
        return directions.seeds();
    }

    @Override
    public List<Stored<Seed>> seedsAt(String commit) {
        return directions.seedsAt(commit);
    }

    @Override
    public void insertSeed(Seed seed, SignedEnvelope envelope, long nowMs) {
        directions.insertSeed(seed, envelope, nowMs);
    }

    @Override
    public Optional<DirectionRecord> direction(String name) {
        return directions.direction(name);
    }

    @Override
    public List<DirectionRecord> directions() {
        return directions.directions();
    }

    @Override
    public List<DirectionRecord> directionsOn(String commit) {
        return directions.directionsOn(commit);
    }

    @Override
    public void insertDirection(Direction direction, SignedEnvelope envelope, long nowMs) {
        directions.insertDirection(direction, envelope, nowMs);
    }

    @Override
    public void updateFrontier(String direction, Frontier frontier) {
        directions.updateFrontier(direction, frontier);
    }

    @Override
    public void setBaselineMetric(String direction, double metric) {
        directions.setBaselineMetric(direction, metric);
    }

    @Override
    public void clearBaselineMetric(String direction) {
        directions.clearBaselineMetric(direction);
    }

    @Override
    public boolean closeDirection(String direction, String reason, long nowMs) {
        return directions.closeDirection(direction, reason, nowMs);
    }

    @Override
    public Map<String, String> closedDirections() {
        return directions.closedDirections();
    }

    @Override
    public Map<String, String> closedDirections(Collection<String> names) {
        return directions.closedDirections(names);
    }

    @Override
    public List<DirectionLoad> loadsOfOpenDirections() {
        return directions.loadsOfOpenDirections();
    }

    // --- experiments and results -------------------------------------------------------------

    @Override
    public Optional<Stored<Experiment>> experiment(String commit) {
        return results.experiment(commit);
    }

    @Override
    public List<Stored<Experiment>> experiments(String direction) {
        return results.experiments(direction);
    }

    @Override
    public void insertExperiment(Experiment experiment, SignedEnvelope envelope, long nowMs, String network) {
        results.insertExperiment(experiment, envelope, nowMs, network);
    }

    @Override
    public String experimentNetwork(String commit) {
        return results.experimentNetwork(commit);
    }

    @Override
    public void abandonExperiment(String commit, String reason, long nowMs) {
        results.abandonExperiment(commit, reason, nowMs);
    }

    @Override
    public Optional<String> abandonment(String commit) {
        return results.abandonment(commit);
    }

    @Override
    public Optional<Stored<Result>> resultByEnvelopeId(String envelopeId) {
        return results.resultByEnvelopeId(envelopeId);
    }

    @Override
    public Optional<Stored<Result>> resultOfUnit(String unitId, ByteString runner) {
        return results.resultOfUnit(unitId, runner);
    }

    @Override
    public void insertResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs, String network) {
        results.insertResult(result, envelope, envelopeId, nowMs, network);
    }

    @Override
    public void insertLateResult(Result result, SignedEnvelope envelope, String envelopeId, long nowMs, String network) {
        results.insertLateResult(result, envelope, envelopeId, nowMs, network);
    }

    @Override
    public List<Result> resultsForCommit(String commit) {
        return results.resultsForCommit(commit);
    }

    @Override
    public List<SignedEnvelope> resultEnvelopes(String direction, String commit) {
        return results.resultEnvelopes(direction, commit);
    }

    @Override
    public int countResults(String direction) {
        return results.countResults(direction);
    }

    @Override
    public List<Trials.Entry> resultEntries(String commit) {
        return results.resultEntries(commit);
    }

    @Override
    public Map<String, List<Trials.Entry>> resultEntries(Collection<String> commits) {
        return results.resultEntries(commits);
    }

    @Override
    public SettlementReach settlementReach(String unitId, String commit) {
        return results.settlementReach(unitId, commit);
    }

    @Override
    public Optional<ResultVerdict.State> resultState(String envelopeId) {
        return results.resultState(envelopeId);
    }

    @Override
    public void setResultState(String envelopeId, ResultVerdict.State state) {
        results.setResultState(envelopeId, state);
    }

    @Override
    public List<Trials.Entry> countedResults(String direction) {
        return results.countedResults(direction);
    }

    // --- units and leases ----------------------------------------------------------------------

    @Override
    public Optional<UnitRecord> unit(String id) {
        return units.unit(id);
    }

    @Override
    public void insertUnit(UnitRecord unit) {
        units.insertUnit(unit);
    }

    @Override
    public void insertUnitAhead(UnitRecord unit) {
        units.insertUnitAhead(unit);
    }

    @Override
    public void updateUnit(UnitRecord unit) {
        units.updateUnit(unit);
    }

    @Override
    public void leaseUnit(UnitRecord leased, String address) {
        units.leaseUnit(leased, address);
    }

    @Override
    public void recordLease(String unitId, ByteString holder, long nowMs, ByteString claimNonce, long signedMs,
            String network, String address, String hardwareClass) {
        units.recordLease(unitId, holder, nowMs, claimNonce, signedMs, network, address, hardwareClass);
        scope.leasesRecorded = true;
    }

    @Override
    public Optional<String> unitClaimedWith(ByteString node, ByteString claimNonce, long sinceMs) {
        return units.unitClaimedWith(node, claimNonce, sinceMs);
    }

    @Override
    public Optional<String> leaseClass(String unitId, ByteString node) {
        return units.leaseClass(unitId, node);
    }

    @Override
    public Optional<ForgottenLease> forgetLease(String unitId, ByteString holder) {
        return units.forgetLease(unitId, holder);
    }

    @Override
    public Set<ByteString> leaseHolders(String unitId) {
        return units.leaseHolders(unitId);
    }

    @Override
    public boolean markStarved(String unitId, ByteString holder, long nowMs) {
        return units.markStarved(unitId, holder, nowMs);
    }

    @Override
    public OptionalLong leasedMs(String unitId, ByteString holder) {
        return units.leasedMs(unitId, holder);
    }

    @Override
    public Map<String, List<StarvedGiveBacks.GivenBack>> starvedGiveBacks(Collection<String> unitIds) {
        return units.starvedGiveBacks(unitIds);
    }

    @Override
    public List<UnitRecord> expiredLeases(long nowMs) {
        return units.expiredLeases(nowMs);
    }

    @Override
    public int leasesHeldBy(ByteString node) {
        return units.leasesHeldBy(node);
    }

    @Override
    public List<UnitRecord> leasesOf(ByteString node, int limit) {
        return units.leasesOf(node, limit);
    }

    @Override
    public Claimant claimant(ByteString node, long sinceMs, String address) {
        return units.claimant(node, sinceMs, address);
    }

    @Override
    public int leasesSince(ByteString node, long sinceMs) {
        return units.leasesSince(node, sinceMs);
    }

    @Override
    public int leaseRenewals(String unitId, ByteString holder) {
        return units.leaseRenewals(unitId, holder);
    }

    @Override
    public boolean recordRenewal(String unitId, ByteString holder, long signedMs) {
        return units.recordRenewal(unitId, holder, signedMs);
    }

    @Override
    public void setUnitRandomSeed(String unitId, long randomSeed) {
        units.setUnitRandomSeed(unitId, randomSeed);
    }

    @Override
    public OptionalLong unitRandomSeed(String unitId) {
        return units.unitRandomSeed(unitId);
    }

    @Override
    public List<UnitRecord> units(Optional<UnitStatus.State> state) {
        return units.units(state);
    }

    @Override
    public List<UnitRecord> openEvaluations() {
        return units.openEvaluations();
    }

    @Override
    public int pendingUnitsForCommit(String commit) {
        return units.pendingUnitsForCommit(commit);
    }

    @Override
    public int leasedUnitsForCommit(String commit) {
        return units.leasedUnitsForCommit(commit);
    }

    @Override
    public List<UnitRecord> pendingUnitsOfCommit(String commit) {
        return units.pendingUnitsOfCommit(commit);
    }

    @Override
    public List<UnitRecord> pendingUnitsOfTrial(String commit, long randomSeed) {
        return units.pendingUnitsOfTrial(commit, randomSeed);
    }

    @Override
    public Map<Long, Integer> trialRequeues(String commit) {
        return units.trialRequeues(commit);
    }

    @Override
    public Map<String, Map<Long, Integer>> trialRequeues(Collection<String> commits) {
        return units.trialRequeues(commits);
    }

    @Override
    public Map<String, Set<Long>> pendingTrialSeeds(Collection<String> commits) {
        return units.pendingTrialSeeds(commits);
    }

    @Override
    public Map<String, Set<Long>> pendingTrialSeedsOfDirection(String direction) {
        return units.pendingTrialSeedsOfDirection(direction);
    }

    @Override
    public Optional<String> operatorRequeue(String direction, String commit, ByteString by, long requeuedMs) {
        return units.operatorRequeue(direction, commit, by, requeuedMs);
    }

    @Override
    public Map<String, List<dev.rhizome.proto.v1.OperatorRequeue>> operatorRequeues(Collection<String> directions) {
        return units.operatorRequeues(directions);
    }

    @Override
    public void recordOperatorRequeue(String direction, String commit, ByteString by, long requeuedMs,
            String randomSeeds, String reason) {
        units.recordOperatorRequeue(direction, commit, by, requeuedMs, randomSeeds, reason);
    }

    @Override
    public void countTrialRequeue(String commit, long randomSeed) {
        units.countTrialRequeue(commit, randomSeed);
    }

    @Override
    public Set<String> commitsTouchedBy(ByteString node) {
        return units.commitsTouchedBy(node);
    }

    @Override
    public Set<String> unitsBarredFor(ByteString node) {
        return units.unitsBarredFor(node);
    }

    // --- the claim page and reservations -------------------------------------------------------

    @Override
    public List<UnitRecord> openEvaluationsFor(ByteString node, String network, long nowMs, int offset, int limit) {
        return claims.openEvaluationsFor(node, network, nowMs, offset, limit);
    }

    @Override
    public void reserveUnit(String unitId, List<ByteString> nodes, long untilMs) {
        claims.reserveUnit(unitId, nodes, untilMs);
    }

    @Override
    public long nextOpening(ByteString node, String network, long nowMs) {
        return claims.nextOpening(node, network, nowMs);
    }

    @Override
    public List<ByteString> reservation(String unitId, long nowMs) {
        return claims.reservation(unitId, nowMs);
    }

    // --- explorations --------------------------------------------------------------------------

    @Override
    public void recordExploreClaim(String unitId, String direction, boolean builtinExplorer, String hypothesis,
            long nowMs) {
        explorations.recordExploreClaim(unitId, direction, builtinExplorer, hypothesis, nowMs);
    }

    @Override
    public Map<String, Integer> leasedAgentExplorations() {
        return explorations.leasedAgentExplorations();
    }

    @Override
    public List<Similarity.Text> recentHypotheses(String direction, long sinceMs, int limit) {
        return explorations.recentHypotheses(direction, sinceMs, limit);
    }

    @Override
    public List<UnderWay> underWay(String direction, int limit) {
        return explorations.underWay(direction, limit);
    }

    @Override
    public Optional<ByteString> agentClaimant(String unitId) {
        return explorations.agentClaimant(unitId);
    }

    // --- reputation and proposers --------------------------------------------------------------

    @Override
    public Optional<Reputation> reputation(ByteString runner) {
        return reputations.reputation(runner);
    }

    @Override
    public void saveReputation(ByteString runner, Reputation reputation) {
        reputations.saveReputation(runner, reputation);
    }

    @Override
    public List<Map.Entry<ByteString, Reputation>> reputations() {
        return reputations.reputations();
    }

    @Override
    public ProposerThrottle.Record proposerRecord(ByteString proposer) {
        return reputations.proposerRecord(proposer);
    }

    @Override
    public void addToProposerRecord(ByteString proposer, ProposerThrottle.Record outcomes) {
        reputations.addToProposerRecord(proposer, outcomes);
    }

    @Override
    public Set<String> reputationClasses(String commit, long randomSeed) {
        return reputations.reputationClasses(commit, randomSeed);
    }

    @Override
    public Map<String, Map<Long, Set<String>>> reputationClasses(Collection<String> commits) {
        return reputations.reputationClasses(commits);
    }

    @Override
    public int reputationTrialsBy(String commit, ByteString runner) {
        return reputations.reputationTrialsBy(commit, runner);
    }

    @Override
    public void markAcceptedOnReputation(String commit, long randomSeed, String hardwareClass, ByteString runner) {
        reputations.markAcceptedOnReputation(commit, randomSeed, hardwareClass, runner);
    }

    // --- quotas, nonces, bans ------------------------------------------------------------------

    @Override
    public Map<String, Integer> writeCounts(String kind, long dayMs, List<String> scopes) {
        return quotas.writeCounts(kind, dayMs, scopes);
    }

    @Override
    public void countWrite(String kind, long dayMs, List<String> scopes) {
        quotas.countWrite(kind, dayMs, scopes);
    }

    @Override
    public void uncountWrite(String kind, long dayMs, List<String> scopes) {
        quotas.uncountWrite(kind, dayMs, scopes);
    }

    @Override
    public int forgetNodesSeenBefore(long beforeMs, int limit) {
        return nodes.forgetNodesSeenBefore(beforeMs, limit);
    }

    @Override
    public int forgetWriteCounts(long beforeDayMs) {
        return quotas.forgetWriteCounts(beforeDayMs);
    }

    @Override
    public boolean useClaimNonce(ByteString node, ByteString nonce, long timeMs) {
        return quotas.useClaimNonce(node, nonce, timeMs);
    }

    @Override
    public int forgetClaimNonces(long beforeMs) {
        return quotas.forgetClaimNonces(beforeMs);
    }

    @Override
    public boolean banKey(ByteString key, String reason, long nowMs) {
        return quotas.banKey(key, reason, nowMs);
    }

    @Override
    public Map<ByteString, String> bannedKeys() {
        return quotas.bannedKeys();
    }

    @Override
    public List<OperatorTerm> operatorTerms() {
        return quotas.operatorTerms();
    }

    @Override
    public void openOperatorTerm(ByteString key, long fromMs) {
        quotas.openOperatorTerm(key, fromMs);
    }

    @Override
    public void endOperatorTerm(ByteString key, long untilMs) {
        quotas.endOperatorTerm(key, untilMs);
    }

    // --- nodes ---------------------------------------------------------------------------------

    @Override
    public boolean announce(NodeAnnouncement a, String network, long nowMs) {
        return nodes.announce(a, network, nowMs);
    }

    @Override
    public List<PeerEndpoint> peers(String commit, int limit) {
        return nodes.peers(commit, limit);
    }

    @Override
    public List<PeerEndpoint> nodesSeenSince(long sinceMs, int limit) {
        return nodes.nodesSeenSince(sinceMs, limit);
    }

    @Override
    public List<PeerEndpoint> nodesListedSince(long sinceMs, int limit) {
        return nodes.nodesListedSince(sinceMs, limit);
    }

    @Override
    public boolean nodeSeenOutside(String network, long sinceMs) {
        return nodes.nodeSeenOutside(network, sinceMs);
    }

    @Override
    public FittingNodes fittingNodesSeen(String requiredClass, String network, long sinceMs) {
        return nodes.fittingNodesSeen(requiredClass, network, sinceMs);
    }

    @Override
    public List<SpotChecks.Candidate> spotCheckCandidates(Collection<ByteString> excluded, String requiredClass,
            long sinceMs, long networksSinceMs, int limit) {
        return nodes.spotCheckCandidates(excluded, requiredClass, sinceMs, networksSinceMs, limit);
    }

    @Override
    public List<ComparisonClasses.Seen> classesWithStandingSeen(String requiredClass, long sinceMs, int limit) {
        return nodes.classesWithStandingSeen(requiredClass, sinceMs, limit);
    }

    @Override
    public Set<ByteString> runnersSeenSince(long sinceMs, int limit) {
        return nodes.runnersSeenSince(sinceMs, limit);
    }

    @Override
    public Set<ByteString> runnersWithStandingSeenSince(long sinceMs, int limit) {
        return nodes.runnersWithStandingSeenSince(sinceMs, limit);
    }

    @Override
    public boolean knownNode(ByteString node) {
        return nodes.knownNode(node);
    }

    @Override
    public Optional<Availability> announcedAvailability(ByteString node) {
        return nodes.announcedAvailability(node);
    }

    // --- papers, the audit trail, adoptions ----------------------------------------------------

    @Override
    public void insertPaper(Paper paper, SignedEnvelope envelope, String envelopeId, long nowMs) {
        papers.insertPaper(paper, envelope, envelopeId, nowMs);
    }

    @Override
    public boolean hasPaper(String envelopeId) {
        return papers.hasPaper(envelopeId);
    }

    @Override
    public List<SignedEnvelope> papers(String direction) {
        return papers.papers(direction);
    }

    @Override
    public boolean keepOrder(SignedEnvelope order, String id, long nowMs) {
        return audit.keepOrder(order, id, nowMs);
    }

    @Override
    public List<SignedEnvelope> auditTrail() {
        return audit.auditTrail();
    }

    @Override
    public long auditCount() {
        return audit.auditCount();
    }

    @Override
    public Optional<Accepted> accepted(String id) {
        return audit.accepted(id);
    }

    @Override
    public void keepReceiptKey(ByteString key, long nowMs) {
        audit.keepReceiptKey(key, nowMs);
    }

    @Override
    public List<ByteString> receiptKeys() {
        return audit.receiptKeys();
    }

    @Override
    public void insertAdoption(Adoption adoption) {
        audit.insertAdoption(adoption);
    }

    @Override
    public List<Adoption> adoptions(String direction) {
        return audit.adoptions(direction);
    }

    // --- counts over the history ---------------------------------------------------------------

    @Override
    public CoordinatorStats stats() {
        return HistoryCounts.stats(queries);
    }

    @Override
    public List<Store.BoardResult> boardResultsAfter(String direction, long afterSeq) {
        return BoardRows.storedAfter(queries, direction, afterSeq);
    }

    @Override
    public long lastBoardChange() {
        return BoardRows.lastChange(queries);
    }

    @Override
    public List<Store.BoardResult> boardResultsChangedAfter(String direction, long afterChange) {
        return BoardRows.changedAfter(queries, direction, afterChange);
    }

    @Override
    public HistoryCounts.Totals historyTotals() {
        return HistoryCounts.totals(queries);
    }

    @Override
    public Map<String, HistoryCounts.OfDirection> directionCounts(Collection<String> directions) {
        return HistoryCounts.ofDirections(queries, directions);
    }

    @Override
    public HistoryCounts.InProgress unitsInProgress() {
        return HistoryCounts.inProgress(queries);
    }

    @Override
    public HistoryCounts.Standing standing() {
        return HistoryCounts.standing(queries);
    }

    @Override
    public Optional<String> seedOfCommit(String commit) {
        return CommitSeeds.of(queries, commit);
    }

    @Override
    public int countExperiments(String direction) {
        return results.countExperiments(direction);
    }

    // --- pages (keyset: WHERE key > ? ORDER BY key LIMIT ?, along an index) ------------------

    @Override
    public List<Keyed<Long, Stored<Seed>>> seeds(long afterSeq, int limit) {
        return directions.seeds(afterSeq, limit);
    }

    @Override
    public List<Keyed<Long, DirectionRecord>> directions(long afterSeq, int limit) {
        return directions.directions(afterSeq, limit);
    }

    @Override
    public List<Keyed<Long, DirectionRecord>> directions(boolean closed, long afterSeq, int limit) {
        return directions.directions(closed, afterSeq, limit);
    }

    @Override
    public HistoryCounts.DirectionTotals directionTotals() {
        return StoreCounters.directionTotals(queries);
    }

    @Override
    public List<Stored<Experiment>> experiments(Collection<String> commits) {
        return results.experiments(commits);
    }

    @Override
    public List<Keyed<Long, Stored<Experiment>>> experiments(String direction, long afterSeq, int limit) {
        return results.experiments(direction, afterSeq, limit);
    }

    @Override
    public List<Keyed<Long, Stored<Experiment>>> newestExperiments(String direction, long beforeSeq, int limit) {
        return results.newestExperiments(direction, beforeSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> newestResultEnvelopes(String direction, long beforeSeq, int limit) {
        return results.newestResultEnvelopes(direction, beforeSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> newestResultEnvelopes(String direction, String commit, long beforeSeq,
            int limit) {
        return results.newestResultEnvelopes(direction, commit, beforeSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> resultEnvelopes(String direction, String commit, long afterSeq,
            int limit) {
        return results.resultEnvelopes(direction, commit, afterSeq, limit);
    }

    @Override
    public List<Keyed<Long, UnitRecord>> units(Optional<UnitStatus.State> state, long afterSeq, int limit) {
        return units.units(state, afterSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> papers(String direction, long beforeSeq, int limit) {
        return papers.papers(direction, beforeSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> papersAfter(String direction, long afterSeq, int limit) {
        return papers.papersAfter(direction, afterSeq, limit);
    }

    @Override
    public List<Keyed<Long, SignedEnvelope>> auditTrail(long afterSeq, int limit) {
        return audit.auditTrail(afterSeq, limit);
    }

    @Override
    public List<Keyed<Store.CreditKey, Reputation>> reputations(Optional<Store.CreditKey> after, int limit) {
        return reputations.reputations(after, limit);
    }

    @Override
    public List<Keyed<Store.AdoptionKey, Adoption>> adoptions(String direction, Optional<Store.AdoptionKey> after,
            int limit) {
        return audit.adoptions(direction, after, limit);
    }

    @Override
    public void keepCandidate(String direction, String hardwareClass, String commit, double standing) {
        candidates.keepCandidate(direction, hardwareClass, commit, standing);
    }

    @Override
    public void dropCandidate(String direction, String hardwareClass, String commit) {
        candidates.dropCandidate(direction, hardwareClass, commit);
    }

    @Override
    public boolean wasAdopted(String direction, String commit) {
        return candidates.wasAdopted(direction, commit);
    }

    @Override
    public List<String> candidatesBelow(String direction, String hardwareClass, double bound) {
        return candidates.candidatesBelow(direction, hardwareClass, bound);
    }

    @Override
    public boolean candidatesKept(String direction) {
        return candidates.candidatesKept(direction);
    }

    @Override
    public void markCandidatesKept(String direction) {
        candidates.markCandidatesKept(direction);
    }

    @Override
    public void saveConfirmation(dev.rhizome.proto.v1.Confirmation confirmation) {
        confirmations.saveConfirmation(confirmation);
    }

    @Override
    public Optional<dev.rhizome.proto.v1.Confirmation> confirmation(String commit) {
        return confirmations.confirmation(commit);
    }

    @Override
    public List<dev.rhizome.proto.v1.Confirmation> confirmations(String direction) {
        return confirmations.confirmations(direction);
    }

    @Override
    public List<dev.rhizome.proto.v1.Confirmation> confirmations(String direction, ListKey after, int rows) {
        return confirmations.confirmations(direction, after, rows);
    }

    @Override
    public List<dev.rhizome.proto.v1.Confirmation> openConfirmations(String direction) {
        return confirmations.openConfirmations(direction);
    }

    @Override
    public dev.rhizome.proto.v1.SeedCommitment commitSeedSecret(dev.rhizome.proto.v1.SeedCommitment commitment,
            byte[] secret) {
        return confirmations.commitSeedSecret(commitment, secret);
    }

    @Override
    public Optional<byte[]> seedSecret(String commit) {
        return confirmations.seedSecret(commit);
    }

    @Override
    public Optional<byte[]> seedCommitment(String commit) {
        return confirmations.seedCommitment(commit);
    }

    @Override
    public List<dev.rhizome.proto.v1.SeedCommitment> seedCommitments(String direction) {
        return confirmations.seedCommitments(direction);
    }

    @Override
    public List<dev.rhizome.proto.v1.SeedCommitment> seedCommitments(String direction, ListKey after, int rows) {
        return confirmations.seedCommitments(direction, after, rows);
    }

    @Override
    public Optional<PathHead> pathHead(String direction) {
        return paths.pathHead(direction);
    }

    @Override
    public Optional<Ancestry> ancestry(String commit) {
        return paths.ancestry(commit);
    }

    @Override
    public OptionalLong pathDepth(String direction, String commit) {
        return paths.pathDepth(direction, commit);
    }

    @Override
    public Optional<Boolean> onKeptPath(String direction, String frontier, String commit) {
        return paths.onKeptPath(direction, frontier, commit);
    }

    @Override
    public void dropPathAbove(String direction, long depth) {
        paths.dropPathAbove(direction, depth);
    }

    @Override
    public void addToPath(String direction, String commit, long depth) {
        paths.addToPath(direction, commit, depth);
    }

    @Override
    public void setPathHead(String direction, String frontier, boolean chain) {
        paths.setPathHead(direction, frontier, chain);
    }
}
