package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.ComparisonClasses;
import dev.rhizome.coordinator.core.ConfirmationRule;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.FiniteMean;
import dev.rhizome.coordinator.core.Frontier;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.Saturating;
import dev.rhizome.coordinator.core.Significance;
import dev.rhizome.coordinator.core.SpotChecks;
import dev.rhizome.coordinator.core.TrialRequeues;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.Directions;
import dev.rhizome.coordinator.store.Experiments;
import dev.rhizome.coordinator.store.Nodes;
import dev.rhizome.coordinator.store.OpenEvaluations;
import dev.rhizome.coordinator.store.Reputations;
import dev.rhizome.coordinator.store.Results;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.coordinator.store.Units;
import dev.rhizome.proto.v1.Adoption;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.UnitStatus;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.CrashPoints;
import dev.rhizome.protocol.identity.PublicId;
import dev.rhizome.protocol.seed.Manifests;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What results decide, inside the transaction that stores them: the validation state of every
 * replica of a trial (one commit at one random seed), the runners' reputations, tie-breakers,
 * the frontier's measurement and adoption by the paired rule of {@link Significance}, confirmed
 * at fresh seeds ({@link ConfirmationRule}).
 */
final class Settlement {
    private static final Logger LOG = LoggerFactory.getLogger(Settlement.class);

    private Settlement() {
    }

    /** Queues {@code replicas} evaluations of a commit at one random seed. */
    static void queueTrial(Units tx, String seed, String direction, String commit, String parent,
            ByteString proposer, long randomSeed, int replicas, long nowMs) {
        queueTrial(tx, seed, direction, commit, parent, proposer, randomSeed, replicas, false, nowMs);
    }

    /**
     * The same, {@code ahead} of ordinary work in the claim order where it is a confirmation's
     * trial: it gates an adoption, the network's whole point, and there are few of them.
     */
    static void queueTrial(Units tx, String seed, String direction, String commit, String parent,
            ByteString proposer, long randomSeed, int replicas, boolean ahead, long nowMs) {
        for (int i = 0; i < replicas; i++) {
            UnitRecord unit = UnitFactory.evaluation(seed, direction, commit, parent, proposer, nowMs);
            if (ahead) {
                tx.insertUnitAhead(unit);
            } else {
                tx.insertUnit(unit);
            }
            tx.setUnitRandomSeed(unit.id(), randomSeed);
        }
    }

    /**
     * Queues a trial at every adoption seed where the commit has neither results nor pending
     * units; returns how many trials were queued.
     */
    static <T extends Experiments & Results & Units> int queueMissingTrials(T tx, String seed, Manifest manifest,
            String direction, String commit, String parent, ByteString proposer, long nowMs) {
        return queueMissingTrials(tx, seed, manifest, Manifests.trialSeeds(manifest), direction, commit, parent,
                proposer, nowMs);
    }

    /** The same at {@code seeds} (a confirmation's). */
    static <T extends Experiments & Results & Units> int queueMissingTrials(T tx, String seed, Manifest manifest,
            List<Long> seeds, String direction, String commit, String parent, ByteString proposer, long nowMs) {
        if (tx.abandonment(commit).isPresent()) {
            return 0;  // given up: nobody could fetch it, and asking again would only hold the queue full
        }
        Set<Long> covered = new HashSet<>();
        tx.resultEntries(commit).stream().filter(e -> e.result().getStatus() != Result.Status.UNFETCHABLE)
                .forEach(e -> covered.add(e.result().getRandomSeed()));
        int queued = 0;
        List<Long> trialSeeds = Manifests.trialSeeds(manifest);
        for (long randomSeed : seeds) {
            if (!covered.contains(randomSeed) && tx.pendingUnitsOfTrial(commit, randomSeed).isEmpty()) {
                queueTrial(tx, seed, direction, commit, parent, proposer, randomSeed, Manifests.quorum(manifest),
                        !trialSeeds.contains(randomSeed), nowMs);
                queued++;
            }
        }
        return queued;
    }

    /** Judges the trial that {@code added} belongs to, and applies what follows; returns notes for the ack. */
    static List<String> settle(Store.Transaction tx, UnitRecord unit, Trials.Entry added, Manifest manifest, long nowMs,
            DoubleSupplier draw) {
        Result result = added.result();
        String commit = unit.commit();
        long randomSeed = result.getRandomSeed();
        int quorum = Manifests.quorum(manifest);
        List<String> notes = new ArrayList<>();
        ProposerOutcomes proposers = new ProposerOutcomes();
        if (result.getStatus() == Result.Status.CRASH) {
            proposers.crash(result.getProposer(), nowMs);  // at once; an OK run counts once its trial finds it VALID
        }
        List<Trials.Entry> trial = trialEntries(tx, commit, randomSeed);
        acceptAloneIfTrusted(tx, trial, added, manifest, draw, nowMs).ifPresent(notes::add);
        List<Trials.Outcome> outcomes = Trials.judge(trial, quorum, manifest.getMetric().getTolerance(),
                tx.reputationClasses(commit, randomSeed));
        for (Trials.Outcome outcome : outcomes) {
            applyVerdicts(tx, outcome, added, manifest, proposers);
            // Only an INCONCLUSIVE trial can need a tie-breaker, so only then are its pending units read.
            if (outcome.state() == ResultVerdict.State.INCONCLUSIVE && Trials.needsTieBreaker(outcome,
                    outcome.inTime(), quorum, tx.pendingUnitsOfTrial(commit, randomSeed).size())) {
                queueTrial(tx, unit.seed(), unit.direction(), commit, unit.parent(), unit.proposer(), randomSeed, 1,
                        !Manifests.trialSeeds(manifest).contains(randomSeed), nowMs);
                // A tie-breaker decides between the replicas that disagree: left open, the liar's
                // second network took it at once and outvoted the honest runner, who lost standing
                // (round 28 reserved a spot check's alone). Keys the coordinator draws, one per
                // network with standing, take it; an attacker's share is its networks of standing.
                String reserved = reserveReplicas(tx, commit, randomSeed, runnersOf(trial, result.getProposer()),
                        manifest.getHardwareClass(), draw, nowMs);
                notes.add("replicas disagree at seed " + Long.toUnsignedString(randomSeed)
                        + "; another evaluation queued" + reserved);
            }
            if (outcome.hardwareClass().equals(result.getHardwareClass())) {
                notes.add("trial at seed " + Long.toUnsignedString(randomSeed) + " is " + outcome.state());
                if (outcome.state() == ResultVerdict.State.INCONCLUSIVE && outcome.inTime() >= 2 * quorum + 1
                        && !result.getProposer().isEmpty()) {
                    // Replicas that never agree: the code measures nothing reproducible. It counts
                    // against its proposer as a crash does.
                    proposers.crash(result.getProposer(), nowMs);
                    notes.add("replicas never agreed; counted against the proposer");
                }
            }
        }
        AdoptionCandidates.refresh(tx, commit, manifest);
        for (DirectionRecord d : directionsWithFrontier(tx, commit)) {
            remeasureFrontier(tx, d, manifest, nowMs).ifPresent(notes::add);
        }
        Optional<Stored<Experiment>> experiment = tx.experiment(commit);
        List<String> frontierOf = directionsWithFrontier(tx, commit).stream().map(DirectionRecord::name).toList();
        Set<String> reading = new LinkedHashSet<>(frontierOf);
        experiment.ifPresent(x -> reading.add(x.record().getDirection()));
        for (String direction : reading) {
            notes.addAll(keepToComparisonClass(tx, tx.direction(direction).orElseThrow(), commit, randomSeed, outcomes,
                    manifest, nowMs));
        }
        // A frontier's new trial can change every comparison of its direction; a candidate's only its own.
        for (String direction : frontierOf) {
            notes.addAll(adoptWhatWins(tx, direction, manifest, nowMs, Optional.empty()));
        }
        if (experiment.isPresent()) {
            String direction = experiment.get().record().getDirection();
            if (!tx.direction(direction).orElseThrow().frontier().commit().equals(commit)) {
                notes.addAll(adoptWhatWins(tx, direction, manifest, nowMs, Optional.of(commit)));
            }
        }
        proposers.addTo(tx);
        return notes;
    }

    /** The directions whose frontier is {@code commit}, in the order opened: a look-up of those only. */
    static List<DirectionRecord> directionsWithFrontier(Directions tx, String commit) {
        return tx.directionsOn(commit).stream().filter(d -> d.frontier().commit().equals(commit)).toList();
    }

    /** Results of one trial, in the order received. */
    static List<Trials.Entry> trialEntries(Results tx, String commit, long randomSeed) {
        return tx.resultEntries(commit).stream().filter(e -> e.result().getRandomSeed() == randomSeed).toList();
    }

    /**
     * Adaptive replication: the first OK result of a trial may stand alone when its runner is
     * trusted, it did not propose the commit, no other trial of the commit already rests on its
     * word alone, and the coordinator's draw skips the spot check. Its other replicas, open or
     * leased, are then withdrawn. A spot-checked trial keeps its replicas, which other keys must run.
     * Never at a confirmation seed (of the candidate or of the frontier it is paired with): that
     * stage is what stands between a pass at the public seeds and a moved frontier, and a few
     * trusted keys, each earned by ten honest runs, passed it with 0.9 per trial unchecked.
     */
    private static Optional<String> acceptAloneIfTrusted(Store.Transaction tx, List<Trials.Entry> trial,
            Trials.Entry added, Manifest manifest, DoubleSupplier draw, long nowMs) {
        Result r = added.result();
        if (Manifests.quorum(manifest) < 2 || r.getStatus() != Result.Status.OK
                || !Manifests.trialSeeds(manifest).contains(r.getRandomSeed())) {
            return Optional.empty();
        }
        boolean firstOk = trial.stream().filter(e -> e.result().getStatus() == Result.Status.OK
                && e.result().getHardwareClass().equals(r.getHardwareClass())).count() == 1;
        if (!firstOk || r.getRunner().equals(r.getProposer())
                || tx.reputationTrialsBy(r.getCommit(), r.getRunner()) > 0) {
            return Optional.empty();
        }
        Reputation rep = tx.reputation(r.getRunner()).orElse(Reputation.fresh());
        if (!rep.trusted()) {
            return Optional.empty();
        }
        if (!rep.standsAlone(draw.getAsDouble())) {
            return Optional.of("spot check: replicas of this trial stay queued"
                    + reserveReplicas(tx, r.getCommit(), r.getRandomSeed(), List.of(r.getRunner(), r.getProposer()),
                            manifest.getHardwareClass(), draw, nowMs));
        }
        tx.markAcceptedOnReputation(r.getCommit(), r.getRandomSeed(), r.getHardwareClass(), r.getRunner());
        // leased replicas too, as withdrawUnneeded does: one left LEASED came back OPEN at its
        // lease's expiry and ran for a trial already decided
        for (UnitRecord pending : tx.pendingUnitsOfTrial(r.getCommit(), r.getRandomSeed())) {
            tx.updateUnit(pending.doneBy(ByteString.EMPTY));
        }
        return Optional.of("accepted on the runner's reputation (" + rep.consecutiveValid() + " consecutive valid)");
    }

    /**
     * Reserves the open units of a spot check's trial for keys the coordinator picks ({@link SpotChecks}),
     * none of {@code excluded}'s, among nodes of a class that fits {@code requiredClass} (the seed's).
     */
    private static <T extends Nodes & OpenEvaluations & Units> String reserveReplicas(T tx, String commit,
            long randomSeed, List<ByteString> excluded, String requiredClass, DoubleSupplier draw, long nowMs) {
        List<SpotChecks.Candidate> seen = tx.spotCheckCandidates(excluded, requiredClass,
                Saturating.minus(nowMs, PeerDirectory.NODE_FRESHNESS_MS),
                Saturating.minus(nowMs, SpotChecks.NETWORKS_REMEMBERED.toMillis()), PeerDirectory.MAX_NODES_LISTED);
        List<ByteString> chosen = SpotChecks.choose(excluded, seen, draw);
        if (chosen.isEmpty()) {
            return "";
        }
        long until = SpotChecks.reservedUntil(nowMs);
        for (UnitRecord pending : tx.pendingUnitsOfTrial(commit, randomSeed)) {
            if (pending.state() == UnitStatus.State.OPEN) {
                tx.reserveUnit(pending.id(), chosen, until);
            }
        }
        return " for " + chosen.size() + " key(s) the coordinator chose, until " + until + " ms";
    }

    /** The keys that ran {@code trial}, and its proposer: none of them may break its tie. */
    private static List<ByteString> runnersOf(List<Trials.Entry> trial, ByteString proposer) {
        Set<ByteString> keys = new LinkedHashSet<>();
        trial.forEach(e -> keys.add(e.result().getRunner()));
        keys.add(proposer);
        return List.copyOf(keys);
    }

    /** Writes each result's new state and moves its runner's reputation on state changes. */
    private static <T extends Reputations & Results> void applyVerdicts(T tx, Trials.Outcome outcome,
            Trials.Entry added, Manifest manifest, ProposerOutcomes proposers) {
        // runtime_ms is the runner's own word: a job is killed at the seed's timeout, so no more is
        // credited (2^63 - 1 ms, 292 million years, topped the volunteers for good)
        long creditCapMs = Integer.toUnsignedLong(manifest.getTimeoutSeconds()) * 1000;
        for (Trials.Verdict v : outcome.verdicts()) {
            String id = v.entry().envelopeId();
            Optional<ResultVerdict.State> before = tx.resultState(id);
            if (before.isPresent() && before.get() == v.state()) {
                continue;
            }
            tx.setResultState(id, v.state());
            Result r = v.entry().result();
            Reputation rep = tx.reputation(r.getRunner()).orElse(Reputation.fresh());
            Reputation next = switch (v.state()) {
                case VALID -> rep.onValid(Math.min(r.getRuntimeMs(), creditCapMs));
                case INVALID -> rep.onInvalid();
                case ERROR -> id.equals(added.envelopeId()) ? rep.onError() : rep;
                default -> rep;
            };
            if (v.state() == ResultVerdict.State.VALID) {
                proposers.ok(r.getProposer());
            }
            if (next != rep) {
                if (v.state() == ResultVerdict.State.INVALID) {
                    LOG.warn("result {} of runner {} is INVALID: outside the agreeing replicas of {} at seed {}",
                            id, PublicId.hex(r.getRunner()),
                            CommitId.abbreviate(r.getCommit()), Long.toUnsignedString(r.getRandomSeed()));
                }
                tx.saveReputation(r.getRunner(), next);
            }
        }
    }

    /**
     * The decided trial metrics of a commit in one hardware class, by random seed. An empty
     * class means the class of the first trial decided.
     */
    static <T extends Reputations & Results> TrialMetrics trialMetrics(T tx, String commit, String hardwareClass,
            Manifest manifest) {
        return metricsAt(tx, commit, hardwareClass, manifest, Manifests.trialSeeds(manifest));
    }

    /** The same at {@code seeds} (a confirmation's). */
    static <T extends Reputations & Results> TrialMetrics metricsAt(T tx, String commit, String hardwareClass,
            Manifest manifest, List<Long> seeds) {
        return metricsAt(tx, commit, hardwareClass, manifest, seeds, c -> true);
    }

    /**
     * A frontier's decided trial metrics in {@code frontierClass}, the class its direction compares
     * in; where none is fixed yet (its base not yet measured), in the first decided class that is
     * established ({@link ComparisonClasses}), none where no decided class is: a class the node
     * names is its word, and one of a colluding pair's own must not become what every comparison
     * of the direction reads.
     */
    static TrialMetrics frontierMetrics(Store.Transaction tx, String commit, String frontierClass, Manifest manifest,
            long nowMs) {
        if (!frontierClass.isEmpty()) {
            return trialMetrics(tx, commit, frontierClass, manifest);
        }
        Predicate<String> established = establishedClasses(tx, manifest, nowMs);
        return metricsAt(tx, commit, "", manifest, Manifests.trialSeeds(manifest), established);
    }

    /** {@link ComparisonClasses#established}, over the nodes of standing seen lately (read once, when first asked). */
    private static Predicate<String> establishedClasses(Nodes tx, Manifest manifest, long nowMs) {
        var seen = new Object() {
            List<ComparisonClasses.Seen> read;
        };
        return hardwareClass -> {
            if (seen.read == null) {
                seen.read = tx.classesWithStandingSeen(manifest.getHardwareClass(),
                        Saturating.minus(nowMs, PeerDirectory.NODE_FRESHNESS_MS), CLASSES_READ);
            }
            return ComparisonClasses.established(hardwareClass, seen.read);
        };
    }

    /** The (class, network) groups of nodes of standing read to judge a class: far more than any network has classes. */
    private static final int CLASSES_READ = 10_000;

    private static <T extends Reputations & Results> TrialMetrics metricsAt(T tx, String commit, String hardwareClass,
            Manifest manifest, List<Long> seeds, Predicate<String> mayChoose) {
        Map<Long, List<Trials.Entry>> bySeed = new LinkedHashMap<>();
        tx.resultEntries(commit).forEach(e -> bySeed.computeIfAbsent(e.result().getRandomSeed(), s -> new ArrayList<>())
                .add(e));
        Map<Long, Double> metrics = new LinkedHashMap<>();
        String chosen = hardwareClass;
        for (var entry : bySeed.entrySet()) {
            for (Trials.Outcome o : Trials.judge(entry.getValue(), Manifests.quorum(manifest),
                    manifest.getMetric().getTolerance(), tx.reputationClasses(commit, entry.getKey()))) {
                if (o.decided() && (chosen.isEmpty() ? mayChoose.test(o.hardwareClass())
                        : chosen.equals(o.hardwareClass()))) {
                    chosen = o.hardwareClass();
                    metrics.put(entry.getKey(), o.metric().getAsDouble());
                }
            }
        }
        Set<Long> wanted = new HashSet<>(seeds);
        metrics.keySet().retainAll(wanted);
        return new TrialMetrics(chosen, metrics);
    }

    /** The commit's trials at the trial seeds, each judged by {@link Trials} (every class). */
    private static List<Trials.Outcome> trialOutcomes(Store.Transaction tx, String commit, Manifest manifest) {
        Set<Long> trialSeeds = new HashSet<>(Manifests.trialSeeds(manifest));
        Map<Long, List<Trials.Entry>> bySeed = new LinkedHashMap<>();
        tx.resultEntries(commit).stream().filter(e -> trialSeeds.contains(e.result().getRandomSeed()))
                .forEach(e -> bySeed.computeIfAbsent(e.result().getRandomSeed(), s -> new ArrayList<>()).add(e));
        List<Trials.Outcome> outcomes = new ArrayList<>();
        bySeed.forEach((seed, entries) -> outcomes.addAll(Trials.judge(entries, Manifests.quorum(manifest),
                manifest.getMetric().getTolerance(), tx.reputationClasses(commit, seed))));
        return outcomes;
    }

    record TrialMetrics(String hardwareClass, Map<Long, Double> bySeed) {
        OptionalDouble mean() {
            return FiniteMean.of(bySeed.values().stream().mapToDouble(Double::doubleValue));
        }
    }

    /**
     * The frontier's metric: the mean of its decided trials at the adoption seeds, in its class
     * (for a base not yet measured, an established one: {@link #frontierMetrics}). A base whose
     * trials were decided only in classes not established is not measured; each such trial with
     * no evaluation pending is queued again, {@code quorum} replicas, so that runners of an
     * established class can decide it (its units were all taken, by the runners of the other).
     */
    private static Optional<String> remeasureFrontier(Store.Transaction tx, DirectionRecord d, Manifest manifest,
            long nowMs) {
        TrialMetrics m = frontierMetrics(tx, d.frontier().commit(), d.frontier().hardwareClass(), manifest, nowMs);
        if (m.bySeed().isEmpty()) {
            return d.frontier().hardwareClass().isEmpty() ? requeueForAnEstablishedClass(tx, d, manifest, nowMs)
                    : Optional.empty();
        }
        double mean = m.mean().getAsDouble();
        tx.updateFrontier(d.name(), new Frontier(d.frontier().commit(), OptionalDouble.of(mean), m.hardwareClass()));
        if (d.direction().getBaseCommit().equals(d.frontier().commit()) && tx.adoptions(d.name()).isEmpty()) {
            tx.setBaselineMetric(d.name(), mean);
        }
        return Optional.of("direction " + d.name() + " frontier measured at " + mean + " over " + m.bySeed().size()
                + " seed(s)");
    }

    /**
     * See {@link #remeasureFrontier}: the unmeasured base's trials decided in classes not
     * established are queued again, each at most {@link TrialRequeues#MAX_PER_TRIAL} times.
     */
    private static Optional<String> requeueForAnEstablishedClass(Store.Transaction tx, DirectionRecord d,
            Manifest manifest, long nowMs) {
        String commit = d.frontier().commit();
        Map<Long, Integer> times = tx.trialRequeues(commit);
        List<Long> queued = new ArrayList<>();
        List<Long> spent = new ArrayList<>();
        for (long randomSeed : Manifests.trialSeeds(manifest)) {
            boolean decided = Trials.judge(trialEntries(tx, commit, randomSeed), Manifests.quorum(manifest),
                    manifest.getMetric().getTolerance(), tx.reputationClasses(commit, randomSeed)).stream()
                    .anyMatch(Trials.Outcome::decided);
            if (decided && tx.pendingUnitsOfTrial(commit, randomSeed).isEmpty()) {
                if (TrialRequeues.mayQueueAgain(times.getOrDefault(randomSeed, 0))) {
                    queueAgain(tx, d, commit, randomSeed, manifest, nowMs);
                    queued.add(randomSeed);
                } else {
                    spent.add(randomSeed);
                }
            }
        }
        if (queued.isEmpty() && spent.isEmpty()) {
            return Optional.empty();
        }
        String note = "direction " + d.name() + " not measured: its base's trials were decided only in a hardware "
                + "class not established";
        if (!queued.isEmpty()) {
            LOG.warn("direction {}: the base's trials at seed(s) {} were decided in a hardware class not established "
                    + "(fewer networks of standing announce it than another class); queued again", d.name(), queued);
            note += "; evaluations queued again at " + queued.size() + " seed(s)";
        }
        if (!spent.isEmpty()) {
            LOG.warn("direction {}: the base's trials at seed(s) {} were decided in a hardware class not established "
                    + "and queued again {} times already; not queued again", d.name(), spent,
                    TrialRequeues.MAX_PER_TRIAL);
            note += "; " + TrialRequeues.whenSpent(spent, byOperators(tx, d, commit), TrialRequeues.BASE_WAITS);
        }
        return Optional.of(note);
    }

    /**
     * Queues {@code commit}'s trial at {@code randomSeed} again, {@code quorum} replicas ahead of
     * ordinary work (it stands between a direction and its comparisons), and counts it. The keys
     * that ran the trial never get another replica of it, and their networks are held off it a while.
     */
    private static void queueAgain(Store.Transaction tx, DirectionRecord d, String commit, long randomSeed,
            Manifest manifest, long nowMs) {
        queueReplicasAhead(tx, d, commit, randomSeed, manifest, nowMs);
        tx.countTrialRequeue(commit, randomSeed);
    }

    /** Times operators' orders queued {@code commit}'s trials again, by seed: read only where the cap is reached. */
    private static Map<Long, Integer> byOperators(Store.Transaction tx, DirectionRecord d, String commit) {
        return TrialRequeues.byOperators(tx.operatorRequeues(List.of(d.name())).getOrDefault(d.name(), List.of()),
                commit);
    }

    /** {@link #queueAgain} without counting it: an operator's order ({@link TrialRequeueOrders}) is kept apart. */
    static void queueReplicasAhead(Store.Transaction tx, DirectionRecord d, String commit, long randomSeed,
            Manifest manifest, long nowMs) {
        Optional<Experiment> x = tx.experiment(commit).map(Stored::record);
        queueTrial(tx, d.direction().getSeed(), d.name(), commit, x.map(Experiment::getParent).orElse(""),
                x.map(Experiment::getProposer).orElse(ByteString.EMPTY), randomSeed, Manifests.quorum(manifest), true,
                nowMs);
    }

    /**
     * After a trial of a direction's commit (its frontier's, or a candidate's) is judged: where it
     * was decided in a class other than the one the direction compares in, and that class is no
     * longer established while nothing was adopted yet, the class is revisited
     * ({@link #revisitComparisonClass}); else, where the trial is decided only in other classes and
     * nothing of it is pending, it is queued again ahead for the direction's class (each trial at
     * most {@link TrialRequeues#MAX_PER_TRIAL} times): the replicas were all taken by keys claiming
     * in another class, and the comparison, which reads its own class only, waited for ever.
     */
    private static List<String> keepToComparisonClass(Store.Transaction tx, DirectionRecord d, String commit,
            long randomSeed, List<Trials.Outcome> outcomes, Manifest manifest, long nowMs) {
        if (!d.frontier().isMeasured()) {
            return List.of();  // an unmeasured base: remeasureFrontier queues it for an established class
        }
        String compared = d.frontier().hardwareClass();
        if (outcomes.stream().noneMatch(o -> o.decided() && !o.hardwareClass().equals(compared))) {
            return List.of();
        }
        // read only where a trial would be queued again: the common settlement reads nothing more
        if (tx.closedDirections(List.of(d.name())).containsKey(d.name())) {
            return List.of();  // closed: nothing of it is handed out, so nothing is queued again for it
        }
        if (nothingAdopted(tx, d) && !establishedClasses(tx, manifest, nowMs).test(compared)) {
            return revisitComparisonClass(tx, d, manifest, nowMs);
        }
        if (outcomes.stream().anyMatch(o -> o.decided() && o.hardwareClass().equals(compared))
                || !tx.pendingUnitsOfTrial(commit, randomSeed).isEmpty() || tx.abandonment(commit).isPresent()) {
            return List.of();  // decided there, still running, or given up (nobody could fetch it)
        }
        String trial = CommitId.abbreviate(commit) + " at seed " + Long.toUnsignedString(randomSeed);
        if (!TrialRequeues.mayQueueAgain(tx.trialRequeues(commit).getOrDefault(randomSeed, 0))) {
            return List.of("trial of " + trial + " was decided only in hardware classes direction " + d.name()
                    + " does not compare in (" + compared + "); " + TrialRequeues.whenSpent(List.of(randomSeed),
                    byOperators(tx, d, commit), "the commit has no trial there to compare"));
        }
        queueAgain(tx, d, commit, randomSeed, manifest, nowMs);
        LOG.info("direction {}: trial of {} decided only in classes other than {}; queued again for it", d.name(),
                trial, compared);
        return List.of("trial of " + trial + " was decided only in hardware classes direction " + d.name()
                + " does not compare in (" + compared + "); queued again for it, ahead");
    }

    /** Whether {@code d} has adopted nothing: its frontier is still its base, and its class may be revisited. */
    private static boolean nothingAdopted(Store.Transaction tx, DirectionRecord d) {
        return d.frontier().commit().equals(d.direction().getBaseCommit()) && tx.adoptions(d.name()).isEmpty();
    }

    /**
     * A class set while it was established, and no longer is (more networks of standing announce
     * another: on a young network the first pair to decide the base set it with nobody else's
     * standing around), is provisional until the direction's first adoption: the base is unmeasured
     * again and measured in the first decided class that is established, or queued again for one
     * ({@link #requeueForAnEstablishedClass}, bounded as there). From the first adoption the class is fixed.
     */
    private static List<String> revisitComparisonClass(Store.Transaction tx, DirectionRecord d, Manifest manifest,
            long nowMs) {
        String was = d.frontier().hardwareClass();
        tx.updateFrontier(d.name(), new Frontier(d.frontier().commit(), OptionalDouble.empty(), ""));
        // the base's metric in the old class is no baseline of the new one: unknown until measured there
        tx.clearBaselineMetric(d.name());
        LOG.warn("direction {}: its comparison class {} is no longer established and nothing was adopted in it; "
                + "its base is measured again", d.name(), was);
        List<String> notes = new ArrayList<>();
        notes.add("direction " + d.name() + " compared in " + was + ", a hardware class no longer established "
                + "(more networks of standing announce another), and adopted nothing yet: its class is chosen again");
        remeasureFrontier(tx, tx.direction(d.name()).orElseThrow(), manifest, nowMs).ifPresent(notes::add);
        return notes;
    }

    record Winner(String commit, Significance.Comparison comparison) {
    }

    /**
     * Among {@code candidates} (in the order registered), the one that passes the paired rule
     * against the frontier with the largest mean gain, the first on ties.
     */
    static Optional<Winner> winner(Store.Transaction tx, TrialMetrics frontier, Manifest manifest,
            List<String> candidates) {
        Winner best = null;
        for (String commit : candidates) {
            TrialMetrics candidate = trialMetrics(tx, commit, frontier.hardwareClass(), manifest);
            Significance.Comparison c = Significance.compare(frontier.bySeed(), candidate.bySeed(), manifest);
            if (c.decision() == Significance.Decision.ADOPT
                    && (best == null || c.meanGain() > best.comparison().meanGain())) {
                best = new Winner(commit, c);
            }
        }
        return Optional.ofNullable(best);
    }

    record Confirmed(String commit, ConfirmationRule.Verdict verdict) {
    }

    /**
     * Among {@code candidates} (in the order registered), those that pass the paired rule at the
     * trial seeds go on to their confirmation ({@link ConfirmationRule}): seeds are drawn for one
     * that has none (its and the frontier's trials there queued), a confirming one's frontier
     * trials are queued where the frontier moved since, and one that lost there is refused for
     * good. Of those that passed both, the one with the largest mean gain at the trial seeds wins,
     * the first on ties.
     */
    static Optional<Confirmed> confirmedWinner(Store.Transaction tx, DirectionRecord d, TrialMetrics frontier,
            Manifest manifest, List<String> candidates, long nowMs, List<String> notes) {
        Confirmed best = null;
        for (String commit : candidates) {
            TrialMetrics candidate = trialMetrics(tx, commit, frontier.hardwareClass(), manifest);
            if (Significance.compare(frontier.bySeed(), candidate.bySeed(), manifest).decision()
                    != Significance.Decision.ADOPT) {
                continue;  // the usual case, decided without reading a confirmation
            }
            Optional<Confirmation> drawn = tx.confirmation(commit);
            if (drawn.isPresent() && drawn.get().getState() != Confirmation.State.CONFIRMING) {
                continue;  // refused at its confirmation seeds: the one draw is spent
            }
            List<Long> seeds = drawn.map(Confirmation::getRandomSeedsList).orElse(List.of());
            Map<Long, Double> frontierThere = seeds.isEmpty() ? Map.of()
                    : metricsAt(tx, d.frontier().commit(), frontier.hardwareClass(), manifest, seeds).bySeed();
            Map<Long, Double> candidateThere = seeds.isEmpty() ? Map.of()
                    : metricsAt(tx, commit, frontier.hardwareClass(), manifest, seeds).bySeed();
            ConfirmationRule.Verdict v = ConfirmationRule.judge(frontier.bySeed(), candidate.bySeed(), seeds,
                    frontierThere, candidateThere, manifest);
            switch (v.stage()) {
                case DRAW -> notes.add(drawConfirmation(tx, d, frontier.hardwareClass(), commit, manifest, nowMs));
                case CONFIRMING -> {
                    if (!drawn.get().getFrontier().equals(d.frontier().commit())) {
                        // the frontier moved meanwhile: the new one runs at the same seeds, no new draw
                        pairWithFrontier(tx, d, drawn.get(), manifest, nowMs);
                    }
                }
                case REFUSED -> {
                    tx.saveConfirmation(drawn.get().toBuilder().setState(Confirmation.State.REFUSED)
                            .setFrontier(d.frontier().commit()).setDecidedMs(nowMs)
                            .setReason(v.confirmation().reason()).build());
                    LOG.info("direction {} refuses {} at its confirmation seeds ({})", d.name(),
                            CommitId.abbreviate(commit), v.confirmation().reason());
                    notes.add("candidate " + commit + " passed at the trial seeds but not at its confirmation seeds "
                            + "(" + v.confirmation().reason() + "): not adopted");
                }
                case ADOPT -> {
                    if (best == null || v.trials().meanGain() > best.verdict().trials().meanGain()) {
                        best = new Confirmed(commit, v);
                    }
                }
                case NOT_PASSED -> {
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * After {@code d}'s frontier moved: each candidate still confirming (against an earlier
     * frontier) is judged again at the trial seeds against the new one. One that no longer passes
     * there is closed as SUPERSEDED, with the comparison as its reason, and its open trials at its
     * confirmation seeds, and its frontier's, are withdrawn ({@link #withdrawRunsOf}); it used to
     * stay CONFIRMING for good, and its report read "decided, not adopted" with no reason. One that still passes goes
     * on confirming, the new frontier queued at its seeds (no new draw: see ConfirmationRule).
     */
    private static void closeSuperseded(Store.Transaction tx, DirectionRecord d, Manifest manifest, long nowMs,
            List<String> notes) {
        String frontierCommit = d.frontier().commit();
        TrialMetrics frontier = trialMetrics(tx, frontierCommit, d.frontier().hardwareClass(), manifest);
        List<Confirmation> closed = new ArrayList<>();
        for (Confirmation open : tx.openConfirmations(d.name())) {
            if (open.getFrontier().equals(frontierCommit) || open.getCommit().equals(frontierCommit)) {
                continue;
            }
            TrialMetrics candidate = trialMetrics(tx, open.getCommit(), frontier.hardwareClass(), manifest);
            Optional<Significance.Comparison> superseded = ConfirmationRule.supersededBy(frontier.bySeed(),
                    candidate.bySeed(), manifest);
            if (superseded.isEmpty()) {
                if (Significance.compare(frontier.bySeed(), candidate.bySeed(), manifest).decision()
                        == Significance.Decision.ADOPT) {
                    pairWithFrontier(tx, d, open, manifest, nowMs);
                }
                continue;
            }
            String reason = "superseded: the frontier moved from " + CommitId.abbreviate(open.getFrontier()) + " to "
                    + CommitId.abbreviate(frontierCommit) + " while it confirmed, and against it at the trial seeds: "
                    + superseded.get().reason();
            tx.saveConfirmation(open.toBuilder().setState(Confirmation.State.SUPERSEDED).setFrontier(frontierCommit)
                    .setDecidedMs(nowMs).setReason(reason).build());
            closed.add(open);
            LOG.info("direction {}: {} {}", d.name(), CommitId.abbreviate(open.getCommit()), reason);
            notes.add("candidate " + open.getCommit() + " was confirming; " + reason + ": not adopted");
        }
        if (!closed.isEmpty()) {
            withdrawRunsOf(tx, d.name(), closed);
        }
    }

    /**
     * Withdraws the open runs at closed confirmations' seeds: the candidate's, and those of the
     * frontier it was last paired with (nothing can come of either; the frontier's used to run on
     * for nothing), unless a confirmation still open in the direction is paired with that commit
     * at that seed.
     */
    static void withdrawRunsOf(Store.Transaction tx, String direction, List<Confirmation> closed) {
        Set<String> stillNeeded = runsStillNeeded(tx, direction);
        for (Confirmation c : closed) {  // as it was while confirming: paired with the frontier before the move
            withdrawUnneeded(tx, stillNeeded, c.getCommit(), c.getRandomSeedsList());
            withdrawUnneeded(tx, stillNeeded, c.getFrontier(), c.getRandomSeedsList());
        }
    }

    /**
     * Pairs a candidate still confirming with {@code d}'s new frontier: the new frontier is queued
     * at its seeds (no new draw: see ConfirmationRule), and the open runs there of the frontier it
     * was paired with before are withdrawn under {@link #withdrawRunsOf}'s rule (nothing compares
     * with a replaced frontier; with the frontier moving twice during one confirmation they ran on
     * for nothing).
     */
    private static void pairWithFrontier(Store.Transaction tx, DirectionRecord d, Confirmation open,
            Manifest manifest, long nowMs) {
        queueAt(tx, d, d.frontier().commit(), open.getRandomSeedsList(), manifest, nowMs);
        tx.saveConfirmation(open.toBuilder().setFrontier(d.frontier().commit()).build());
        withdrawEarlierFrontiersRuns(tx, d.name(), open);
    }

    /**
     * Withdraws the open runs of {@code before}'s frontier at its seeds, {@code before} being the
     * record as it was until its candidate was paired with a newer frontier (already saved), unless
     * a confirmation still open in the direction needs that commit at that seed.
     */
    static void withdrawEarlierFrontiersRuns(Store.Transaction tx, String direction, Confirmation before) {
        withdrawUnneeded(tx, runsStillNeeded(tx, direction), before.getFrontier(), before.getRandomSeedsList());
    }

    /** "commit@seed" of every commit an open confirmation of the direction compares at each of its seeds. */
    private static Set<String> runsStillNeeded(Store.Transaction tx, String direction) {
        Set<String> stillNeeded = new HashSet<>();
        for (Confirmation open : tx.openConfirmations(direction)) {
            for (long seed : open.getRandomSeedsList()) {
                stillNeeded.add(open.getCommit() + "@" + seed);
                stillNeeded.add(open.getFrontier() + "@" + seed);
            }
        }
        return stillNeeded;
    }

    private static void withdrawUnneeded(Store.Transaction tx, Set<String> stillNeeded, String commit,
            List<Long> seeds) {
        for (long randomSeed : seeds) {
            if (stillNeeded.contains(commit + "@" + randomSeed)) {
                continue;
            }
            // leased ones too: one left LEASED came back OPEN when its lease ran out and ran for
            // nothing; withdrawn, its holder's renewal is refused and its late result kept TOO_LATE
            // ("closed without it", ResultIntake.lateness), as for an experiment given up
            for (UnitRecord pending : tx.pendingUnitsOfTrial(commit, randomSeed)) {
                tx.updateUnit(pending.doneBy(ByteString.EMPTY));
            }
        }
    }

    /**
     * Derives a candidate's confirmation seeds (once: the record is kept whatever follows) from its
     * commit, the results that decided its trial stage and the secret fixed when it was registered
     * ({@link ConfirmationRule#derive}, {@link SeedSecrets}: no draw to repeat, and the secret is
     * stored, so every coordinator on one store derives the same seeds), and queues its
     * trials and the frontier's there, as any trial: same budget, quorum and replication rules.
     */
    private static String drawConfirmation(Store.Transaction tx, DirectionRecord d, String hardwareClass,
            String commit, Manifest manifest, long nowMs) {
        List<String> basis = ConfirmationRule.basis(trialOutcomes(tx, commit, manifest), hardwareClass);
        Optional<byte[]> secret = SeedSecrets.reveal(tx, commit);
        int n = Manifests.confirmationSeeds(manifest);
        List<Long> seeds = secret.isPresent()
                ? ConfirmationRule.derive(commit, basis, secret.get(), n, Manifests.trialSeeds(manifest))
                : ConfirmationRule.derive(commit, basis, n, Manifests.trialSeeds(manifest));
        tx.saveConfirmation(SeedSecrets.label(Confirmation.newBuilder().setDirection(d.name()).setCommit(commit)
                .setFrontier(d.frontier().commit()).setHardwareClass(hardwareClass).addAllRandomSeeds(seeds)
                .setState(Confirmation.State.CONFIRMING).setDrawnMs(nowMs).setAuditCount(tx.auditCount())
                .addAllDerivedFrom(basis), secret).build());
        queueAt(tx, d, commit, seeds, manifest, nowMs);
        queueAt(tx, d, d.frontier().commit(), seeds, manifest, nowMs);
        List<String> shown = seeds.stream().map(Long::toUnsignedString).toList();
        LOG.info("direction {}: {} passed at the trial seeds; confirming at fresh seeds {}", d.name(),
                CommitId.abbreviate(commit), shown);
        return "candidate " + commit + " passed at the trial seeds; confirming against the frontier at fresh seeds "
                + shown;
    }

    /** Queues a commit of the direction (an experiment or its base) at {@code seeds} where it has no trial. */
    private static void queueAt(Store.Transaction tx, DirectionRecord d, String commit, List<Long> seeds,
            Manifest manifest, long nowMs) {
        Optional<Experiment> x = tx.experiment(commit).map(Stored::record);
        queueMissingTrials(tx, d.direction().getSeed(), manifest, seeds, d.name(), commit,
                x.map(Experiment::getParent).orElse(""), x.map(Experiment::getProposer).orElse(ByteString.EMPTY),
                nowMs);
    }

    /**
     * Adopts, while any exists, the candidate of the direction that passes the paired rule against
     * the frontier, at the trial seeds and then at its confirmation seeds ({@link #confirmedWinner}),
     * with the largest mean gain. Commits the direction adopted before are not
     * candidates again. Only {@code onlyCandidate} where a candidate's own result settled; else
     * the direction's {@link AdoptionCandidates#contenders}, which every candidate that could win is among.
     */
    static List<String> adoptWhatWins(Store.Transaction tx, String direction, Manifest manifest, long nowMs,
            Optional<String> onlyCandidate) {
        List<String> notes = new ArrayList<>();
        for (int round = 0; round < 8; round++) {
            // After an adoption every candidate faces the new frontier.
            Optional<String> only = round == 0 ? onlyCandidate : Optional.empty();
            DirectionRecord d = tx.direction(direction).orElseThrow();
            if (round == 0) {
                AdoptedPath.keep(tx, d);  // built here for a direction older than migration 25 (one row read after)
            }
            if (!d.frontier().isMeasured()) {
                return notes;
            }
            TrialMetrics frontier = trialMetrics(tx, d.frontier().commit(), d.frontier().hardwareClass(), manifest);
            List<String> candidates = only.isEmpty() ? AdoptionCandidates.contenders(tx, d, frontier, manifest)
                    : only.filter(c -> !c.equals(d.direction().getBaseCommit()) && !c.equals(d.frontier().commit())
                            && !tx.wasAdopted(direction, c)).map(List::of).orElse(List.of());
            Optional<Confirmed> winner = confirmedWinner(tx, d, frontier, manifest, candidates, nowMs, notes);
            if (winner.isEmpty()) {
                return notes;
            }
            String closed = tx.closedDirections(List.of(direction)).get(direction);
            if (closed != null) {
                // An operator's closure stops the direction where it stands: results for leases held
                // at the closure are kept (a volunteer's finished work), but none moves its frontier,
                // or keys holding its leases when it was closed against them would move it after.
                // Read only where something would win: the common settlement reads nothing more.
                notes.add("direction " + direction + " is closed (" + closed + "): " + CommitId.abbreviate(
                        winner.get().commit()) + " would win, but its frontier stays as the closure found it");
                return notes;
            }
            if (nothingAdopted(tx, d) && !establishedClasses(tx, manifest, nowMs).test(frontier.hardwareClass())) {
                // the first adoption fixes the class for good: one no longer established is chosen again first
                notes.addAll(revisitComparisonClass(tx, d, manifest, nowMs));
                continue;
            }
            String best = winner.get().commit();
            Significance.Comparison bestComparison = winner.get().verdict().trials();
            double metric = FiniteMean.of(bestComparison.candidate().stream().mapToDouble(Double::doubleValue)).orElseThrow();
            Adoption.Builder adoption = Adoption.newBuilder()
                    .setDirection(direction).setCommit(best).setPrevious(d.frontier().commit())
                    .setHardwareClass(frontier.hardwareClass())
                    .addAllRandomSeeds(bestComparison.randomSeeds())
                    .addAllCandidateMetrics(bestComparison.candidate())
                    .addAllFrontierMetrics(bestComparison.frontier())
                    .setMeanGain(bestComparison.meanGain()).setStandardError(bestComparison.standardError())
                    .setAdoptedMs(nowMs).setAuditCount(tx.auditCount());
            Significance.Comparison confirmation = winner.get().verdict().confirmation();
            if (confirmation != null) {
                adoption.addAllConfirmationSeeds(confirmation.randomSeeds())
                        .addAllConfirmationCandidateMetrics(confirmation.candidate())
                        .addAllConfirmationFrontierMetrics(confirmation.frontier())
                        .setConfirmationMeanGain(confirmation.meanGain())
                        .setConfirmationStandardError(confirmation.standardError());
                tx.saveConfirmation(tx.confirmation(best).orElseThrow().toBuilder()
                        .setState(Confirmation.State.CONFIRMED).setFrontier(d.frontier().commit())
                        .setDecidedMs(nowMs).setReason(confirmation.reason()).build());
            }
            tx.insertAdoption(adoption.build());
            tx.updateFrontier(direction, new Frontier(best, OptionalDouble.of(metric), frontier.hardwareClass()));
            AdoptedPath.adopted(tx, direction, d.frontier().commit(), best);
            closeSuperseded(tx, tx.direction(direction).orElseThrow(), manifest, nowMs, notes);
            CrashPoints.at(CrashPoints.ADOPTED);
            String reason = winner.get().verdict().reason();
            LOG.info("direction {} adopts {} ({} {}; {})", direction, CommitId.abbreviate(best),
                    manifest.getMetric().getName(), metric, reason);
            notes.add("direction " + direction + " adopted " + best + " at " + metric + " (" + reason + ")");
        }
        return notes;
    }
}
