package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.TrialRequeues;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.seed.Manifests;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.TrialRequeueOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator's order to queue again the trials of a direction's commit whose requeues are spent
 * ({@link TrialRequeues}): queued again the most times a trial is, decided in another class each
 * time, and nothing of them pending. Past that cap the coordinator queues nothing more by itself
 * (a stream of fresh keys would have it queue for ever), and the direction waits; the operator, who
 * can first ban the keys that took the replicas, gives each such trial one more set of replicas,
 * ahead of ordinary work, per order. Refused, naming why, where it does not apply: a trial not yet
 * queued again 3 times is the coordinator's to queue, one pending is still running, one decided in
 * the class the direction compares in needs nothing.
 */
final class TrialRequeueOrders {
    private static final Logger LOG = LoggerFactory.getLogger(TrialRequeueOrders.class);

    private TrialRequeueOrders() {
    }

    /** What an order did: the ack's words, and whether it queued anything (false: the same order again). */
    record Outcome(String message, boolean queued) {
    }

    /** Carries {@code order} out in {@code tx} (a writer alone: settlements of the same trials wait). */
    static Outcome carryOut(Store.Transaction tx, TrialRequeueOrder order, long nowMs) {
        DirectionRecord d = tx.direction(order.getName())
                .orElseThrow(() -> Rejection.notFound("unknown direction " + LogSafe.of(order.getName(), 60)));
        String commit = order.getCommit().isEmpty() ? d.frontier().commit() : order.getCommit();
        var done = tx.operatorRequeue(d.name(), commit, order.getRequeuedBy(), order.getRequeuedMs());
        if (done.isPresent()) {
            return new Outcome("trials of " + CommitId.abbreviate(commit) + " already queued again by this order at "
                    + "seed(s) " + done.get(), false);
        }
        String closed = tx.closedDirections(List.of(d.name())).get(d.name());
        if (closed != null) {
            throw Rejection.conflict("direction " + d.name() + " is closed (" + closed + "): it hands out no work, "
                    + "so nothing of it is queued again");
        }
        if (!ofDirection(tx, d, commit)) {
            throw Rejection.notFound("commit " + commit + " is not the base, the frontier or an experiment of direction "
                    + d.name());
        }
        Manifest manifest = tx.seed(d.direction().getSeed()).orElseThrow().record().getManifest();
        List<Long> seeds = spentNotDecidedInClass(tx, d, commit, manifest);
        for (long randomSeed : seeds) {
            Settlement.queueReplicasAhead(tx, d, commit, randomSeed, manifest, nowMs);
        }
        String at = seeds.stream().map(Long::toUnsignedString).toList().toString();
        tx.recordOperatorRequeue(d.name(), commit, order.getRequeuedBy(), order.getRequeuedMs(), at,
                order.getReason().strip());
        LOG.warn("direction {}: an operator queued the trials of {} at seed(s) {} again, past their {} requeues ({})",
                d.name(), CommitId.abbreviate(commit), at, TrialRequeues.MAX_PER_TRIAL, order.getReason().strip());
        return new Outcome("trials of " + CommitId.abbreviate(commit) + " queued again at seed(s) " + at + ", "
                + Manifests.quorum(manifest) + " replica(s) each, ahead of ordinary work", true);
    }

    private static boolean ofDirection(Store.Transaction tx, DirectionRecord d, String commit) {
        return commit.equals(d.frontier().commit()) || commit.equals(d.direction().getBaseCommit())
                || tx.experiment(commit).filter(x -> x.record().getDirection().equals(d.name())).isPresent()
                || tx.wasAdopted(d.name(), commit);
    }

    /**
     * The trial seeds of {@code commit} whose requeues are spent and which are not decided in the
     * class the direction compares in; refused, naming why, where there is none.
     */
    private static List<Long> spentNotDecidedInClass(Store.Transaction tx, DirectionRecord d, String commit,
            Manifest manifest) {
        Map<Long, Integer> times = tx.trialRequeues(commit);
        String trials = "trials of " + CommitId.abbreviate(commit) + " in direction " + d.name();
        if (times.isEmpty()) {
            throw Rejection.conflict(trials + " were never queued again for another class: nothing to queue (an "
                    + "operator queues a trial again once its " + TrialRequeues.MAX_PER_TRIAL + " requeues are spent)");
        }
        List<Long> pending = new ArrayList<>();
        List<Long> spent = TrialRequeues.spent(times, s -> {
            boolean p = !tx.pendingUnitsOfTrial(commit, s).isEmpty();
            if (p) {
                pending.add(s);
            }
            return p;
        });
        String compared = d.frontier().isMeasured() ? d.frontier().hardwareClass() : "";
        List<Long> decidedThere = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        for (long randomSeed : spent) {
            boolean decided = !compared.isEmpty() && Trials.judge(Settlement.trialEntries(tx, commit, randomSeed),
                    Manifests.quorum(manifest), manifest.getMetric().getTolerance(),
                    tx.reputationClasses(commit, randomSeed)).stream()
                    .anyMatch(o -> o.decided() && o.hardwareClass().equals(compared));
            (decided ? decidedThere : seeds).add(randomSeed);
        }
        if (!seeds.isEmpty()) {
            return seeds;
        }
        List<String> why = new ArrayList<>();
        if (!pending.isEmpty()) {
            why.add("at seed(s) " + pending.stream().map(Long::toUnsignedString).toList() + " replicas are still pending");
        }
        if (!decidedThere.isEmpty()) {
            why.add("at seed(s) " + decidedThere.stream().map(Long::toUnsignedString).toList() + " they are decided in "
                    + compared + ", the class the direction compares in");
        }
        times.forEach((s, n) -> {
            if (TrialRequeues.mayQueueAgain(n)) {
                why.add("at seed " + Long.toUnsignedString(s) + " queued again " + n + " of "
                        + TrialRequeues.MAX_PER_TRIAL + " times: the coordinator queues it again itself until then");
            }
        });
        throw Rejection.conflict(trials + " have no requeues spent to queue again: " + String.join("; ", why));
    }
}
