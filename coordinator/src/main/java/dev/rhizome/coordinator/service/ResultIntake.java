package dev.rhizome.coordinator.service;

import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.envelope.Envelopes;
import static dev.rhizome.coordinator.service.SeedsAndDirections.ack;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.HardwareClasses;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.core.ReplicaNetworks;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.AuditTrail;
import dev.rhizome.coordinator.store.Confirmations;
import dev.rhizome.coordinator.store.Results;
import dev.rhizome.coordinator.store.SettlementReach;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Units;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.Identity;
import dev.rhizome.protocol.identity.PublicId;
import dev.rhizome.protocol.seed.Manifests;
import dev.rhizome.protocol.seed.MetricRange;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.DoubleSupplier;

/**
 * Accepts signed results for evaluation units, then settles what they decide: a direction's
 * baseline, an experiment's validity, and adoption into the frontier. All in one transaction, so
 * the result and its consequences are durable together before the runner gets its ack.
 */
public final class ResultIntake {
    private final Store store;
    private final Clock clock;
    private final DoubleSupplier spotCheckDraw;
    private final ResultReceipts receipts;

    /** Receipts signed with a key of this object's own, kept nowhere: for tests of the intake alone. */
    public ResultIntake(Store store, Clock clock) {
        this(store, clock, new SecureRandom()::nextDouble);
    }

    /** @param spotCheckDraw uniform draws in [0, 1) that decide adaptive replication's spot checks */
    public ResultIntake(Store store, Clock clock, DoubleSupplier spotCheckDraw) {
        this(store, clock, spotCheckDraw, new ResultReceipts(store, clock, Identity.generate(), new NetworkId(store)));
    }

    public ResultIntake(Store store, Clock clock, DoubleSupplier spotCheckDraw, ResultReceipts receipts) {
        this.store = store;
        this.clock = clock;
        this.spotCheckDraw = spotCheckDraw;
        this.receipts = receipts;
    }

    /** Who signs this intake's receipts. */
    public ResultReceipts receipts() {
        return receipts;
    }

    /**
     * Stores the result and settles what it decides; the ack carries a signed receipt, made once
     * the transaction committed (a receipt for a result that then failed to commit would be a lie).
     */
    public Ack accept(Verified<Result> request) {
        return accept(request, "");
    }

    /**
     * The same for a result sent from {@code origin} (the request's address scope, or the one a
     * trusted proxy names): its network is stored with the result, in the row it already writes.
     */
    public Ack accept(Verified<Result> request, String origin) {
        String id = Envelopes.id(request.envelope());
        AuditTrail.Accepted[] at = new AuditTrail.Accepted[1];
        Ack ack = store(request, ReplicaNetworks.of(origin), id, at);
        CrashPoints.at(CrashPoints.RESULT_STORED);
        return ack.toBuilder().setReceipt(receipts.sign(id, at[0])).build();
    }

    /** Stores the result; every answer (no refusal throws past here) leaves the envelope's place in {@code at[0]}. */
    private Ack store(Verified<Result> request, String network, String id, AuditTrail.Accepted[] at) {
        Result result = request.record();
        long now = clock.millis();
        Store.Work<Ack> work = tx -> {
            Ack answer = settle(tx, request, network, id, now);
            at[0] = tx.accepted(id).orElseThrow(() -> new IllegalStateException("result " + id + " answered but not stored"));
            return answer;
        };
        // An UNFETCHABLE report may give up its experiment, which weighs every runner seen lately:
        // it runs alone among the writers, as it is rare. Every other result settles beside others.
        return result.getStatus() == Result.Status.UNFETCHABLE ? store.inTransaction(work)
                : store.inSettlingTransaction(work);
    }

    private Ack settle(Store.Transaction tx, Verified<Result> request, String network, String id, long now) {
        Result result = request.record();
        // A resend of a stored result (its ack was lost) is answered from what is committed,
        // before the settlement's locks: on a shared store a busy direction's lock made it wait
        // and then refused it 503, so the node kept sending a result that was already in. A
        // stored result is never removed, so no lock is needed to know it is there; one
        // committed while this waits is found by the look-up after the locks. On a shared store
        // the set to lock is read first: the commit's results come with it, in its round trip.
        SettlementReach reach = SettlementScope.reach(tx, result);
        if (earlierResult(tx, result).filter(id::equals).isPresent()) {
            return ack(id, "result already recorded");
        }
        SettlementScope.lock(tx, result, reach);
        // One look-up answers both "was this envelope stored?" and "did this runner already report
        // this unit?": an envelope's id hashes its payload, which names the unit and the runner.
        Optional<String> earlier = earlierResult(tx, result);
        if (earlier.isPresent() && earlier.get().equals(id)) {
            return ack(id, "result already recorded");  // a retry after a lost ack
        }
        ReplayWindow.check("time_ms", result.getTimeMs(), now);
        UnitRecord unit = tx.unit(result.getWorkUnitId())
                .orElseThrow(() -> Rejection.notFound("unknown work unit " + LogSafe.of(result.getWorkUnitId(), 60)));
        Manifest manifest = tx.seed(unit.seed()).orElseThrow().record().getManifest();
        checkMatchesUnit(result, unit, manifest);
        checkRandomSeed(tx, result, unit);
        checkSeedCommitment(tx, result, unit);
        Optional<String> leaseClass = tx.leaseClass(unit.id(), result.getRunner());
        Optional<String> late = lateness(unit, result.getRunner(), earlier.isPresent(), leaseClass.isPresent());
        checkHardwareClass(result, unit, manifest, leaseClass.orElse(""));
        if (late.isPresent()) {
            tx.insertLateResult(result, request.envelope(), id, now, network);
            tx.setResultState(id, ResultVerdict.State.TOO_LATE);
            return ack(id, "result recorded as TOO_LATE: " + late.get()
                    + "; it is kept, signed, but is no replica of its trial");
        }
        tx.insertResult(result, request.envelope(), id, now, network);
        if (result.getStatus() == Result.Status.UNFETCHABLE) {
            return ack(id, unfetchable(tx, unit, id, now));
        }
        tx.updateUnit(unit.doneBy(result.getRunner()));
        List<String> notes = new ArrayList<>();
        notes.add("result recorded");
        notes.addAll(Settlement.settle(tx, unit, new Trials.Entry(id, result), manifest, now, spotCheckDraw));
        return ack(id, String.join("; ", notes));
    }

    /**
     * The envelope id of the result this runner already stored for the unit, if any, found among
     * the results of the commit the result names: settlement reads that list anyway, and a store
     * that owns its database keeps it in memory, so this costs no statement on the hot path (it
     * was one look-up a cycle on the committer). Every stored result names its unit's commit (a
     * unit's commit never changes, and {@link #checkMatchesUnit} refuses any other), so a result
     * naming another commit finds nothing here, and is then refused by that check before
     * anything depends on whether the runner reported before.
     */
    private static Optional<String> earlierResult(Results tx, Result result) {
        for (Trials.Entry e : tx.resultEntries(result.getCommit())) {
            if (e.result().getWorkUnitId().equals(result.getWorkUnitId())
                    && e.result().getRunner().equals(result.getRunner())) {
                return Optional.of(e.envelopeId());
            }
        }
        return Optional.empty();
    }

    /**
     * An UNFETCHABLE report is a failed attempt, not a replica: it is kept (signed, for the audit
     * trail) as an ERROR that no trial compares, and the unit is reissued to another runner or,
     * past {@link dev.rhizome.coordinator.core.AttemptCap}, given up with its experiment.
     */
    private static String unfetchable(Store.Transaction tx, UnitRecord unit, String id, long now) {
        tx.setResultState(id, ResultVerdict.State.ERROR);
        if (unit.state() != UnitStatus.State.LEASED) {
            // The lease had already run out: that expiry counted this attempt.
            return "unfetchable report recorded; the lease had already expired and was counted then";
        }
        UnitRecord reopened = unit.reopened();
        tx.updateUnit(reopened);
        return Abandonment.afterFailedAttempt(tx, reopened, now)
                .map(why -> "unfetchable report recorded; experiment given up: " + why)
                .orElse("unfetchable report recorded; the unit is reissued to another runner");
    }

    private static void checkMatchesUnit(Result r, UnitRecord unit, Manifest manifest) {
        if (unit.kind() != WorkUnit.Kind.EVALUATE) {
            throw Rejection.badRequest("work unit " + unit.id() + " is an EXPLORE unit; results answer EVALUATE units");
        }
        mustMatch("commit", r.getCommit(), unit.commit(), unit);
        mustMatch("seed", r.getSeed(), unit.seed(), unit);
        mustMatch("direction", r.getDirection(), unit.direction(), unit);
        mustMatch("parent", r.getParent(), unit.parent(), unit);
        if (!r.getProposer().equals(unit.proposer())) {
            // Settlement charges a crash to the result's proposer and spares a proposer's own
            // results from counting as replicas: a runner naming another key would blame it, or
            // pass its own experiment off as someone else's.
            throw Rejection.badRequest("result proposer " + proposerName(r.getProposer()) + " does not match work unit "
                    + unit.id() + " (" + proposerName(unit.proposer()) + ")");
        }
        if (r.getStatus() == Result.Status.STATUS_UNSPECIFIED || r.getStatus() == Result.Status.UNRECOGNIZED) {
            throw Rejection.badRequest("status must be OK, CRASH, TIMEOUT, REFUSED or UNFETCHABLE");
        }
        if (r.getHardwareClass().isBlank()) {
            throw Rejection.badRequest("hardware_class is missing; results are only compared within a class");
        }
        double gpu = r.getGpuMeanUtilizationPercent();
        if (!(gpu >= 0 && gpu <= 100)) {  // NaN fails both
            throw Rejection.badRequest("gpu_mean_utilization_percent must be a number from 0 to 100, got " + gpu);
        }
        if (r.getRuntimeMs() < 0) {
            throw Rejection.badRequest("runtime_ms must not be negative, got " + r.getRuntimeMs());
        }
        if (r.hasBudget() && !r.getBudget().equals(manifest.getBudget())) {
            throw Rejection.badRequest("budget " + Manifests.describe(r.getBudget()) + " differs from the seed's "
                    + Manifests.describe(manifest.getBudget()) + "; replicas are only comparable under one budget");
        }
        if (r.getStatus() == Result.Status.OK) {
            mustMatch("metric_name", r.getMetricName(), manifest.getMetric().getName(), unit);
            // Refused, not stored as a lie: an honest run that ends in a huge loss reports it (or
            // crashes) within any range an operator names; a value outside the physically possible
            // is never a trial's, so it never enters a mean, a frontier, a baseline or a board.
            MetricRange.violation(manifest.getMetric(), r.getMetric()).ifPresent(why -> {
                throw Rejection.badRequest(why);
            });
        }
    }

    /**
     * A result is judged in its hardware class: the trial it joins, the leaderboard that ranks it
     * and, for a direction's base, the class the direction compares in. That class is the one the
     * runner claimed the unit with (a claim is handed only units whose seed's class it fits), not
     * a word written at report time: a key that claimed as {@code cpu:x86_64} cannot decide a
     * trial in a class of its own. A lease made before classes were kept ({@code ""}) binds by the
     * seed's class alone. Late results too: a TOO_LATE result is shown in its class.
     */
    private static void checkHardwareClass(Result r, UnitRecord unit, Manifest manifest, String leaseClass) {
        String seedClass = manifest.getHardwareClass();
        if (!HardwareClasses.fits(seedClass, r.getHardwareClass())) {
            throw Rejection.wrongHardwareClass("hardware_class '" + LogSafe.of(r.getHardwareClass(), 60)
                    + "' does not fit seed "
                    + unit.seed() + "'s class '" + seedClass + "' (work unit " + unit.id() + ")");
        }
        if (!leaseClass.isEmpty() && !leaseClass.equals(r.getHardwareClass())) {
            throw Rejection.wrongHardwareClass("hardware_class '" + LogSafe.of(r.getHardwareClass(), 60)
                    + "' differs from '"
                    + leaseClass + "', the class " + PublicId.hex(r.getRunner()) + " claimed work unit " + unit.id()
                    + " with; a result is compared only in the class its lease was claimed with");
        }
    }

    /** Replicas are only comparable at one random seed: the one the unit was issued with. */
    private static void checkRandomSeed(Units tx, Result r, UnitRecord unit) {
        OptionalLong expected = tx.unitRandomSeed(unit.id());
        if (expected.isPresent() && r.getRandomSeed() != expected.getAsLong()) {
            throw Rejection.badRequest("random_seed " + Long.toUnsignedString(r.getRandomSeed()) + " differs from work unit "
                    + unit.id() + " (" + Long.toUnsignedString(expected.getAsLong()) + ")");
        }
    }

    /**
     * A runner attests the commitment its unit carried. One naming another than the candidate's
     * stored commitment ran under a lease this store never gave (another coordinator's, or made
     * up): signed beside the deciding results, it would make the export's commitment look
     * unattested or altered. An empty one is an older node's (or a lease made before the commitment).
     */
    private static void checkSeedCommitment(Confirmations tx, Result r, UnitRecord unit) {
        if (r.getSeedCommitment().isEmpty()) {
            return;
        }
        Optional<ByteString> stored = SeedSecrets.commitment(tx, unit.commit());
        if (!stored.equals(Optional.of(r.getSeedCommitment()))) {
            throw Rejection.badRequest("seed_commitment " + HexFormat.of().formatHex(r.getSeedCommitment().toByteArray())
                    + " differs from the one made for commit " + unit.commit() + " of work unit " + unit.id() + " ("
                    + stored.map(c -> HexFormat.of().formatHex(c.toByteArray())).orElse("none") + ")");
        }
    }

    private static String proposerName(ByteString key) {
        return key.isEmpty() ? "none" : PublicId.hex(key);
    }

    private static void mustMatch(String field, String reported, String expected, UnitRecord unit) {
        if (!reported.equals(expected)) {
            throw Rejection.badRequest("result " + field + " '" + LogSafe.of(reported, 60) + "' does not match work unit "
                    + unit.id()
                    + " (" + expected + ")");
        }
    }

    /**
     * The holder may report, even after its lease ran out, as long as nobody else took the unit
     * over: the work was done and the replica is still wanted. A key that held an earlier lease
     * of the unit (it was re-leased to another, completed by another or given up since) reports
     * late: its result is kept as TOO_LATE, so the work is on record, and counts for nothing.
     * Empty when the result counts; why it is late otherwise. One result per key and unit, and a
     * key reports only on units it leased, so late results are bounded by the key's leases.
     */
    private static Optional<String> lateness(UnitRecord unit, ByteString runner, boolean reportedBefore,
            boolean everLeased) {
        if (reportedBefore) {
            throw Rejection.conflict(PublicId.hex(runner) + " already reported a different result for work unit "
                    + unit.id() + "; resend the original envelope");
        }
        if (unit.holder().equals(runner) && unit.state() != UnitStatus.State.DONE) {
            return Optional.empty();
        }
        if (!everLeased) {
            throw Rejection.forbidden("work unit " + unit.id() + " is not leased to " + PublicId.hex(runner));
        }
        if (unit.state() == UnitStatus.State.DONE) {
            return Optional.of(unit.holder().isEmpty() ? "work unit " + unit.id() + " was closed without it"
                    : "work unit " + unit.id() + " was already completed by " + PublicId.hex(unit.holder()));
        }
        return Optional.of("the lease of " + PublicId.hex(runner) + " on work unit " + unit.id()
                + " expired and the unit was re-leased to another node");
    }

}
