package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Leaderboards;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.Reputation;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.proto.v1.AdoptionList;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.proto.v1.Trial;
import dev.rhizome.proto.v1.TrialList;
import dev.rhizome.proto.v1.Volunteer;
import dev.rhizome.proto.v1.VolunteerList;
import dev.rhizome.protocol.seed.Manifests;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.CoordinatorStats;
import dev.rhizome.proto.v1.DirectionList;
import dev.rhizome.proto.v1.DirectionStatus;
import dev.rhizome.proto.v1.EnvelopeList;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentList;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SeedList;
import dev.rhizome.proto.v1.UnitList;
import dev.rhizome.proto.v1.UnitStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/** The read side: lists, leaderboards and stats, each from one consistent snapshot. */
public final class Views {
    private final Store store;
    private final LongSupplier rejectedSignatures;

    public Views(Store store, LongSupplier rejectedSignatures) {
        this.store = store;
        this.rejectedSignatures = rejectedSignatures;
    }

    public SeedList seeds() {
        return store.inTransaction(tx -> SeedList.newBuilder()
                .addAllSeeds(tx.seeds().stream().map(Stored::record).toList()).build());
    }

    public DirectionList directions() {
        return store.inTransaction(tx -> {
            DirectionList.Builder list = DirectionList.newBuilder();
            java.util.Map<String, String> closed = tx.closedDirections();
            for (DirectionRecord d : tx.directions()) {
                DirectionStatus.Builder s = DirectionStatus.newBuilder()
                        .setDirection(d.direction())
                        .setFrontierCommit(d.frontier().commit())
                        .setExperiments(tx.experiments(d.name()).size())
                        .setResults(tx.countResults(d.name()));
                if (closed.containsKey(d.name())) {
                    s.setClosed(true).setClosedReason(closed.get(d.name()));
                }
                d.frontier().metric().ifPresent(m -> s.setFrontierMetric(m).setHasFrontierMetric(true));
                d.baselineMetric().ifPresent(m -> s.setBaselineMetric(m).setHasBaselineMetric(true));
                list.addDirections(s);
            }
            return list.build();
        });
    }

    public ExperimentList experiments(String direction) {
        return store.inTransaction(tx -> ExperimentList.newBuilder()
                .addAllEnvelopes(tx.experiments(direction).stream().map(Stored::envelope).toList()).build());
    }

    public EnvelopeList results(String direction, String commit) {
        return store.inTransaction(tx -> EnvelopeList.newBuilder()
                .addAllEnvelopes(tx.resultEnvelopes(direction, commit)).build());
    }

    public EnvelopeList papers(String direction) {
        return store.inTransaction(tx -> EnvelopeList.newBuilder().addAllEnvelopes(tx.papers(direction)).build());
    }

    /** One experiment's outcome with its results and papers (see {@link ExperimentReports}). */
    public dev.rhizome.proto.v1.ExperimentReport experimentReport(String commit) {
        return new ExperimentReports(store).report(commit);
    }

    public EnvelopeList auditTrail() {
        return store.inTransaction(tx -> EnvelopeList.newBuilder().addAllEnvelopes(tx.auditTrail()).build());
    }

    public LeaderboardList leaderboard(String direction, String hardwareClass) {
        if (direction.isEmpty()) {
            throw Rejection.badRequest("query parameter direction is required");
        }
        return store.inTransaction(tx -> {
            DirectionRecord d = tx.direction(direction)
                    .orElseThrow(() -> Rejection.notFound("unknown direction " + direction));
            Manifest manifest = tx.seed(d.direction().getSeed()).orElseThrow().record().getManifest();
            List<Leaderboards.Contender> contenders = new ArrayList<>();
            String base = d.direction().getBaseCommit();
            Optional<Experiment> baseExperiment = tx.experiment(base).map(Stored::record);
            contenders.add(new Leaderboards.Contender(base, baseExperiment.map(Experiment::getParent).orElse(""),
                    baseExperiment.map(Experiment::getProposer).orElse(ByteString.EMPTY),
                    baseExperiment.map(Experiment::getDescription).orElse("base of " + direction)));
            for (Stored<Experiment> e : tx.experiments(direction)) {
                Experiment x = e.record();
                contenders.add(new Leaderboards.Contender(x.getCommit(), x.getParent(), x.getProposer(),
                        x.getDescription()));
            }
            List<Result> results = new ArrayList<>();
            // Replicas outvoted by their trial (INVALID) don't count toward a commit's mean.
            contenders.forEach(c -> tx.resultEntries(c.commit()).stream()
                    .filter(e -> tx.resultState(e.envelopeId()).orElse(ResultVerdict.State.PENDING)
                            != ResultVerdict.State.INVALID)
                    .forEach(e -> results.add(e.result())));
            return Leaderboards.build(direction, manifest.getMetric(), contenders, results, d.frontier().commit(),
                    hardwareClass);
        });
    }

    public UnitList units(Optional<UnitStatus.State> state) {
        return store.inTransaction(tx -> UnitList.newBuilder()
                .addAllUnits(tx.units(state).stream().map(u -> UnitFactory.status(tx, u)).toList()).build());
    }

    public CoordinatorStats stats() {
        return store.inTransaction(tx -> tx.stats().toBuilder()
                .setRejectedSignatures(rejectedSignatures.getAsLong()).build());
    }

    // --- trust: validation states, volunteers, adoptions --------------------------------------

    /**
     * The trials of a direction's commits (its base and experiments), or of one commit, each with
     * every replica's validation state.
     */
    public TrialList trials(String direction, String commit, long nowMs) {
        if (direction.isEmpty() && commit.isEmpty()) {
            throw Rejection.badRequest("query parameter direction or commit is required");
        }
        return store.inTransaction(tx -> {
            List<String> commits = new ArrayList<>();
            Manifest manifest;
            String directionName = direction;
            if (!commit.isEmpty()) {
                commits.add(commit);
                Optional<Experiment> e = tx.experiment(commit).map(Stored::record);
                String seed = e.map(Experiment::getSeed).orElseGet(() -> tx.directions().stream()
                        .filter(d -> d.direction().getBaseCommit().equals(commit)).map(d -> d.direction().getSeed())
                        .findFirst().orElseThrow(() -> Rejection.notFound("unknown commit " + commit)));
                manifest = tx.seed(seed).orElseThrow().record().getManifest();
                directionName = e.map(Experiment::getDirection).orElse(direction);
            } else {
                DirectionRecord d = tx.direction(direction)
                        .orElseThrow(() -> Rejection.notFound("unknown direction " + direction));
                manifest = tx.seed(d.direction().getSeed()).orElseThrow().record().getManifest();
                commits.add(d.direction().getBaseCommit());
                tx.experiments(direction).forEach(x -> commits.add(x.record().getCommit()));
            }
            TrialList.Builder list = TrialList.newBuilder();
            for (String c : commits) {
                Map<Long, List<Trials.Entry>> bySeed = new LinkedHashMap<>();
                tx.resultEntries(c).forEach(en -> bySeed.computeIfAbsent(en.result().getRandomSeed(),
                        k -> new ArrayList<>()).add(en));
                for (var seedEntries : bySeed.entrySet()) {
                    Set<String> onReputation = tx.reputationClasses(c, seedEntries.getKey());
                    for (Trials.Outcome o : Trials.judge(seedEntries.getValue(), Manifests.quorum(manifest),
                            manifest.getMetric().getTolerance(), onReputation)) {
                        Trial.Builder t = Trial.newBuilder().setCommit(c).setRandomSeed(seedEntries.getKey())
                                .setDirection(directionName)
                                .setHardwareClass(o.hardwareClass()).setState(o.state())
                                .setAcceptedOnReputation(onReputation.contains(o.hardwareClass()));
                        o.metric().ifPresent(t::setMetric);
                        for (Trials.Verdict v : o.verdicts()) {
                            Result r = v.entry().result();
                            t.addResults(ResultVerdict.newBuilder().setEnvelopeId(v.entry().envelopeId())
                                    .setRunner(r.getRunner()).setState(v.state()).setStatus(r.getStatus())
                                    .setMetric(r.getMetric()).setHardwareClass(r.getHardwareClass()));
                        }
                        list.addTrials(t);
                    }
                }
            }
            return list.build();
        });
    }

    /** Every runner key with a record: credit, reputation, quota and today's leases; most credit first. */
    public VolunteerList volunteers(long nowMs) {
        return store.inTransaction(tx -> {
            VolunteerList.Builder list = VolunteerList.newBuilder();
            for (Map.Entry<ByteString, Reputation> e : tx.reputations()) {
                Reputation r = e.getValue();
                list.addVolunteers(Volunteer.newBuilder().setKey(e.getKey()).setCreditSeconds(r.creditMs() / 1000.0)
                        .setValid(r.valid()).setInvalid(r.invalid()).setErrors(r.errors())
                        .setConsecutiveValid(r.consecutiveValid()).setDailyQuota(r.dailyQuota())
                        .setLeasedToday(tx.leasesSince(e.getKey(), Reputation.dayStart(nowMs)))
                        .setTrusted(r.trusted()));
            }
            return list.build();
        });
    }

    public AdoptionList adoptions(String direction) {
        return store.inTransaction(tx -> AdoptionList.newBuilder().addAllAdoptions(tx.adoptions(direction)).build());
    }
}
