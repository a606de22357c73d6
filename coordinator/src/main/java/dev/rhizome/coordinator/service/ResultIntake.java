package dev.rhizome.coordinator.service;

import dev.rhizome.protocol.envelope.Envelopes;
import static dev.rhizome.coordinator.service.SeedsAndDirections.ack;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Adoption;
import dev.rhizome.coordinator.core.Agreement;
import dev.rhizome.coordinator.core.Baselines;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.ReplayWindow;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.core.Validity;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Ack;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.envelope.Verified;
import dev.rhizome.protocol.identity.PublicId;
import dev.rhizome.protocol.seed.Manifests;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts signed results for evaluation units, then settles what they decide: a direction's
 * baseline, an experiment's validity, and adoption into the frontier. All in one transaction, so
 * the result and its consequences are durable together before the runner gets its ack.
 */
public final class ResultIntake {
    private static final Logger LOG = LoggerFactory.getLogger(ResultIntake.class);

    private final Store store;
    private final Clock clock;

    public ResultIntake(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public Ack accept(Verified<Result> request) {
        Result result = request.record();
        String id = Envelopes.id(request.envelope());
        long now = clock.millis();
        return store.inTransaction(tx -> {
            if (tx.resultByEnvelopeId(id).isPresent()) {
                return ack(id, "result already recorded");  // a retry after a lost ack
            }
            ReplayWindow.check("time_ms", result.getTimeMs(), now);
            UnitRecord unit = tx.unit(result.getWorkUnitId())
                    .orElseThrow(() -> Rejection.notFound("unknown work unit " + result.getWorkUnitId()));
            Manifest manifest = tx.seed(unit.seed()).orElseThrow().record().getManifest();
            checkMatchesUnit(result, unit, manifest);
            checkRunnerMayReport(tx, unit, result.getRunner());
            tx.insertResult(result, request.envelope(), id, now);
            tx.updateUnit(unit.doneBy(result.getRunner()));
            return ack(id, settle(tx, unit, manifest, now));
        });
    }

    private static void checkMatchesUnit(Result r, UnitRecord unit, Manifest manifest) {
        if (unit.kind() != WorkUnit.Kind.EVALUATE) {
            throw Rejection.badRequest("work unit " + unit.id() + " is an EXPLORE unit; results answer EVALUATE units");
        }
        mustMatch("commit", r.getCommit(), unit.commit(), unit);
        mustMatch("seed", r.getSeed(), unit.seed(), unit);
        mustMatch("direction", r.getDirection(), unit.direction(), unit);
        if (r.getStatus() == Result.Status.STATUS_UNSPECIFIED || r.getStatus() == Result.Status.UNRECOGNIZED) {
            throw Rejection.badRequest("status must be OK, CRASH, TIMEOUT or REFUSED");
        }
        if (r.getHardwareClass().isBlank()) {
            throw Rejection.badRequest("hardware_class is missing; results are only compared within a class");
        }
        if (r.hasBudget() && !r.getBudget().equals(manifest.getBudget())) {
            throw Rejection.badRequest("budget " + Manifests.describe(r.getBudget()) + " differs from the seed's "
                    + Manifests.describe(manifest.getBudget()) + "; replicas are only comparable under one budget");
        }
        if (r.getStatus() == Result.Status.OK) {
            mustMatch("metric_name", r.getMetricName(), manifest.getMetric().getName(), unit);
            if (!Double.isFinite(r.getMetric())) {
                throw Rejection.badRequest("metric must be a finite number, got " + r.getMetric());
            }
        }
    }

    private static void mustMatch(String field, String reported, String expected, UnitRecord unit) {
        if (!reported.equals(expected)) {
            throw Rejection.badRequest("result " + field + " '" + reported + "' does not match work unit " + unit.id()
                    + " (" + expected + ")");
        }
    }

    /**
     * The holder may report, even after its lease ran out, as long as nobody else took the unit
     * over: the work was done and the replica is still wanted.
     */
    private static void checkRunnerMayReport(Store.Transaction tx, UnitRecord unit, ByteString runner) {
        if (tx.resultOfUnit(unit.id(), runner).isPresent()) {
            throw Rejection.conflict(PublicId.hex(runner) + " already reported a different result for work unit "
                    + unit.id() + "; resend the original envelope");
        }
        if (unit.state() == UnitStatus.State.DONE) {
            throw Rejection.conflict("work unit " + unit.id() + " was already completed by " + PublicId.hex(unit.holder()));
        }
        if (unit.holder().equals(runner)) {
            return;
        }
        if (tx.everLeasedTo(unit.id(), runner)) {
            throw Rejection.leaseExpired("lease on work unit " + unit.id() + " held by " + PublicId.hex(runner)
                    + " expired and the unit was re-leased to another node");
        }
        throw Rejection.forbidden("work unit " + unit.id() + " is not leased to " + PublicId.hex(runner));
    }

    /** Applies what the results for this commit now decide; returns a summary for the ack. */
    private static String settle(Store.Transaction tx, UnitRecord unit, Manifest manifest, long now) {
        String commit = unit.commit();
        List<Result> results = tx.resultsForCommit(commit);
        List<String> notes = new ArrayList<>();
        notes.add("result recorded");
        for (DirectionRecord d : tx.directions()) {
            if (d.frontier().commit().equals(commit) && !d.frontier().isMeasured()) {
                Optional<Agreement> measured = Baselines.measure(results);
                if (measured.isPresent()) {
                    measureFrontier(tx, d, measured.get());
                    notes.add("direction " + d.name() + " measured at " + measured.get().metric());
                    adoptBestOf(tx, tx.direction(d.name()).orElseThrow(), manifest, allCandidates(tx, d.name(), manifest))
                            .ifPresent(c -> notes.add(adoptedNote(d.name(), c)));
                }
            }
        }
        Optional<Stored<Experiment>> experiment = tx.experiment(commit);
        if (experiment.isPresent()) {
            String direction = experiment.get().record().getDirection();
            List<Adoption.Candidate> candidates = candidates(commit, results, manifest);
            tx.direction(direction).flatMap(d -> adoptBestOf(tx, d, manifest, candidates))
                    .ifPresent(c -> notes.add(adoptedNote(direction, c)));
            if (Validity.needsTieBreaker(results, Manifests.quorum(manifest), manifest.getMetric(),
                    tx.pendingUnitsForCommit(commit))) {
                Experiment e = experiment.get().record();
                tx.insertUnit(UnitFactory.evaluation(e.getSeed(), direction, commit, e.getParent(), e.getProposer(), now));
                notes.add("replicas disagree; another evaluation queued");
            }
        }
        return String.join("; ", notes);
    }

    private static void measureFrontier(Store.Transaction tx, DirectionRecord d, Agreement measured) {
        tx.updateFrontier(d.name(), new Frontier(d.frontier().commit(), OptionalDouble.of(measured.metric()),
                measured.hardwareClass()));
        if (d.direction().getBaseCommit().equals(d.frontier().commit()) && d.baselineMetric().isEmpty()) {
            tx.setBaselineMetric(d.name(), measured.metric());
        }
    }

    private static Optional<Adoption.Candidate> adoptBestOf(Store.Transaction tx, DirectionRecord d, Manifest manifest,
            List<Adoption.Candidate> candidates) {
        Optional<Adoption.Candidate> chosen = Adoption.choose(d.frontier(), candidates, manifest.getMetric());
        chosen.ifPresent(c -> {
            LOG.info("direction {} adopts {} ({} {} over {} replicas)", d.name(), CommitId.abbreviate(c.commit()),
                    manifest.getMetric().getName(), c.agreement().metric(), c.agreement().replicas());
            tx.updateFrontier(d.name(), Adoption.adopt(c));
        });
        return chosen;
    }

    /** Every valid experiment of a direction: needed when its frontier is first measured. */
    private static List<Adoption.Candidate> allCandidates(Store.Transaction tx, String direction, Manifest manifest) {
        List<Adoption.Candidate> all = new ArrayList<>();
        for (Stored<Experiment> e : tx.experiments(direction)) {
            String commit = e.record().getCommit();
            all.addAll(candidates(commit, tx.resultsForCommit(commit), manifest));
        }
        return all;
    }

    private static List<Adoption.Candidate> candidates(String commit, List<Result> results, Manifest manifest) {
        return Validity.agreements(results, Manifests.quorum(manifest), manifest.getMetric().getTolerance()).stream()
                .map(a -> new Adoption.Candidate(commit, a)).toList();
    }

    private static String adoptedNote(String direction, Adoption.Candidate c) {
        return "direction " + direction + " adopted " + c.commit() + " at " + c.agreement().metric();
    }
}
