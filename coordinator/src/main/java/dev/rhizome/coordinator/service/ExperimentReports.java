package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.Sealing;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.FiniteMean;
import dev.rhizome.coordinator.core.ProposerThrottle;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.core.RequestRules;
import dev.rhizome.coordinator.core.Saturating;
import dev.rhizome.coordinator.store.Keyed;
import dev.rhizome.coordinator.store.Nodes;
import dev.rhizome.coordinator.store.Reputations;
import dev.rhizome.coordinator.store.Results;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Confirmation;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.ExperimentReport;
import dev.rhizome.proto.v1.ExperimentReportList;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.seed.Manifests;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * One experiment as an agent waiting on it needs it: whether the network has decided it (no
 * evaluation pending), its metric against its parent and the frontier, whether it was adopted,
 * and its signed results and papers together. Reads the coordinator's state; decides nothing.
 */
public final class ExperimentReports {
    /**
     * The direction's newest papers searched for those about the commit. Reading all of them made an
     * unsigned GET cost every paper ever published on the direction (any key may publish, up to
     * 64 KiB each); with no index of papers by commit, the search is bounded instead.
     */
    static final int PAPERS_SCANNED = 200;

    private final Store store;
    private final LongSupplier nowMs;

    public ExperimentReports(Store store) {
        this(store, System::currentTimeMillis);
    }

    /** @param nowMs the coordinator's clock: which nodes were seen lately ({@link #report}'s wait) */
    public ExperimentReports(Store store, LongSupplier nowMs) {
        this.store = store;
        this.nowMs = nowMs;
    }

    /** Commits one {@link #reports} answer names at most: a page of `rhizome log` at its default size. */
    public static final int REPORTS_AT_ONCE = 20;

    /**
     * The reports of {@code commits} (comma-separated, at most {@link #REPORTS_AT_ONCE}), each as
     * {@link #report} gives it, in the order named, once each: a brief read ten reports one request
     * at a time. An unregistered commit is named in {@code unknown} (the others are still answered);
     * the answer is bounded in bytes as a page is, the first report always in it, and those that did
     * not fit are named in {@code left_out}. Each report is its own read transaction, as when asked
     * alone; the read budget charges the answer's whole cost to its sender.
     */
    public ExperimentReportList reports(String commits) {
        if (commits.isEmpty()) {
            throw Rejection.badRequest("query parameter commits is required: up to " + REPORTS_AT_ONCE
                    + " commit ids separated by commas");
        }
        List<String> named = List.of(commits.split(",", -1));
        if (named.size() > REPORTS_AT_ONCE) {
            throw Rejection.badRequest("query parameter commits names " + named.size() + " commits, at most "
                    + REPORTS_AT_ONCE + " at once: ask for the rest in another request");
        }
        RequestRules.queryCommits("commits", named);
        ExperimentReportList.Builder answer = ExperimentReportList.newBuilder();
        long bytes = 0;
        for (String commit : new LinkedHashSet<>(named)) {
            if (bytes >= Pages.MAX_PAGE_BYTES) {
                answer.addLeftOut(commit);
                continue;
            }
            ExperimentReport report;
            try {
                report = report(commit);
            } catch (Rejection e) {
                if (e.code() != dev.rhizome.proto.v1.Error.Code.NOT_FOUND) {
                    throw e;
                }
                answer.addUnknown(commit);
                continue;
            }
            int size = report.getSerializedSize();
            if (answer.getReportsCount() > 0 && bytes + size > Pages.MAX_PAGE_BYTES) {
                answer.addLeftOut(commit);
                bytes = Pages.MAX_PAGE_BYTES;  // the rest are left out unread
                continue;
            }
            answer.addReports(report);
            bytes += size;
        }
        return answer.build();
    }

    public ExperimentReport report(String commit) {
        RequestRules.queryCommit("commit", commit);
        return store.inReadTransaction(tx -> {
            Stored<Experiment> stored = tx.experiment(commit)
                    .orElseThrow(() -> Rejection.notFound("commit " + commit + " is not a registered experiment"));
            Experiment e = stored.record();
            DirectionRecord d = tx.direction(e.getDirection()).orElseThrow();
            Manifest manifest = tx.seed(e.getSeed()).orElseThrow().record().getManifest();
            List<Result> results = tx.resultsForCommit(commit);
            String hardwareClass = !d.frontier().hardwareClass().isEmpty() ? d.frontier().hardwareClass()
                    : results.stream().filter(r -> r.getStatus() == Result.Status.OK).map(Result::getHardwareClass)
                            .findFirst().orElse("");
            int pending = tx.pendingUnitsForCommit(commit);
            Optional<String> givenUp = tx.abandonment(commit);
            Optional<Confirmation> confirmation = tx.confirmation(commit);
            ExperimentReport.Builder b = ExperimentReport.newBuilder()
                    .setExperiment(stored.envelope())
                    .setPendingUnits(pending)
                    .setLeasedUnits(pending == 0 ? 0 : tx.leasedUnitsForCommit(commit))
                    .setDecided((pending == 0 && (!results.isEmpty() || givenUp.isPresent())
                            && !awaitsTheFrontier(tx, confirmation, d)) || closedUnadopted(confirmation))
                    .setGivenUp(givenUp.orElse(""))
                    .setHardwareClass(hardwareClass)
                    .setMetricName(manifest.getMetric().getName())
                    .setLowerIsBetter(manifest.getMetric().getLowerIsBetter())
                    .setFrontierCommit(d.frontier().commit())
                    .setAdopted(AdoptedPath.contains(tx, d, commit));
            // One answer, bounded in bytes as a page is: results (oldest first) then papers (newest
            // first) up to 4 MiB together, with counts of what was left out.
            // a result whose trial has a replica out is named, not shown (Sealing), and no mean takes it in
            Sealing sealing = Views.sealing(tx, List.of(commit, e.getParent()));
            List<SignedEnvelope> allResults = new ArrayList<>();
            for (Keyed<Long, SignedEnvelope> k : tx.resultEnvelopes("", commit, 0L, Integer.MAX_VALUE)) {
                if (sealing.sealed(k.value())) {
                    b.addSealedResults(Sealing.sealedEntry(k.value(), k.key() - 1, b.getSealedResultsCount()));
                } else {
                    allResults.add(k.value());
                }
            }
            List<SignedEnvelope> shownResults = Pages.withinBytes(allResults, SignedEnvelope::getSerializedSize,
                    Pages.MAX_PAGE_BYTES);
            long left = Pages.MAX_PAGE_BYTES - shownResults.stream().mapToLong(SignedEnvelope::getSerializedSize).sum();
            List<SignedEnvelope> allPapers = papersCiting(tx.papers(e.getDirection(), Long.MAX_VALUE, PAPERS_SCANNED)
                    .stream().map(Keyed::value).toList(), commit);
            List<SignedEnvelope> shownPapers = Pages.withinBytes(allPapers, SignedEnvelope::getSerializedSize, left);
            b.addAllResults(shownResults).setResultsLeftOut(allResults.size() - shownResults.size())
                    .addAllPapers(shownPapers).setPapersLeftOut(allPapers.size() - shownPapers.size());
            // Valid once every adoption seed's trial is decided; the metric is the mean of the decided trials.
            Settlement.TrialMetrics trials = Settlement.trialMetrics(tx, commit, hardwareClass, manifest);
            b.setValid(trials.bySeed().size() == Manifests.trialSeeds(manifest).size());
            b.setReplicas((int) okIn(hardwareClass, results).count());
            OptionalDouble metric = mean(commit, trials, results, hardwareClass, sealing);
            metric.ifPresent(m -> b.setMetric(m).setHasMetric(true));
            b.setMetricSealed(sealing.anySealed(commit));
            measure(tx, e.getParent(), hardwareClass, manifest, sealing)
                    .ifPresent(m -> b.setParentMetric(m).setHasParentMetric(true));
            d.frontier().metric().ifPresent(m -> b.setFrontierMetric(m).setHasFrontierMetric(true));
            confirmation.ifPresent(b::setConfirmation);
            AdoptionComparisons.Pair compared = AdoptionComparisons.of(tx, d, commit, manifest, b.getAdopted(),
                    confirmation);
            compared.trials().ifPresent(b::setTrialComparison);
            compared.confirmation().ifPresent(b::setConfirmationComparison);
            if (!b.getDecided() && pending > b.getLeasedUnits()) {
                int sharing = onlyFittingNodesShareTheProposersNetwork(tx, commit, manifest.getHardwareClass(),
                        Saturating.minus(nowMs.getAsLong(), PeerDirectory.NODE_FRESHNESS_MS));
                b.setWaitingForIndependentRunner(sharing > 0).setProposersNetworkNodes(sharing);
            }
            long now = nowMs.getAsLong();
            ProposerThrottle.refusedUntil(tx.proposerRecord(e.getProposer()), now)
                    .ifPresent(until -> b.setProposerRefusedForMs(until - now));
            return b.build();
        });
    }

    /**
     * How many nodes seen lately fit the seed and share the network the commit was registered from,
     * where those are the only fitting ones and a node of another network was seen (so the claim
     * queue keeps that network off the commit's trials, {@code ClaimQueue}); else 0. Round 30 left
     * this wait unnamed: `rhizome wait` said the evaluations were queued with nodes listed, not that
     * none of those nodes may run them.
     */
    static int onlyFittingNodesShareTheProposersNetwork(Store.Transaction tx, String commit,
            String requiredClass, long since) {
        String network = tx.experimentNetwork(commit);
        if (network.isEmpty()) {
            return 0;  // registered from no known network: nobody is kept off its trials
        }
        Nodes.FittingNodes fitting = tx.fittingNodesSeen(requiredClass, network, since);
        if (fitting.onNetwork() == 0 || fitting.elsewhere() || !tx.nodeSeenOutside(network, since)) {
            return 0;
        }
        return fitting.onNetwork();
    }

    /**
     * A candidate confirming whose own trials are all in still waits for the frontier's at its
     * confirmation seeds: its adoption is not decided until those are (a wait that ended at its own
     * last result answered "decided, not adopted" for a candidate adopted a minute later).
     */
    /**
     * A confirmation closed without an adoption (refused at its seeds, or superseded by a frontier
     * that moved) is final: its report is decided even while runs of it still out there come back.
     */
    private static boolean closedUnadopted(Optional<Confirmation> confirmation) {
        return confirmation.isPresent() && (confirmation.get().getState() == Confirmation.State.REFUSED
                || confirmation.get().getState() == Confirmation.State.SUPERSEDED);
    }

    private static boolean awaitsTheFrontier(Store.Transaction tx, Optional<Confirmation> confirmation,
            DirectionRecord d) {
        return confirmation.isPresent() && confirmation.get().getState() == Confirmation.State.CONFIRMING
                && tx.pendingUnitsForCommit(d.frontier().commit()) > 0;
    }

    private static Stream<Result> okIn(String hardwareClass, List<Result> results) {
        return results.stream().filter(r -> r.getStatus() == Result.Status.OK && Double.isFinite(r.getMetric())
                && r.getHardwareClass().equals(hardwareClass));
    }

    private static <T extends Results & Reputations> OptionalDouble measure(T tx, String commit, String hardwareClass,
            Manifest manifest, Sealing sealing) {
        return mean(commit, Settlement.trialMetrics(tx, commit, hardwareClass, manifest), tx.resultsForCommit(commit),
                hardwareClass, sealing);
    }

    /**
     * The mean of the commit's decided trials, or where none is decided its OK results', leaving out
     * every sealed trial: while a replica of a trial is out, a mean that took it in would show its
     * value (one replica's, where it is the only result) to the runner holding that replica.
     */
    private static OptionalDouble mean(String commit, Settlement.TrialMetrics trials, List<Result> results,
            String hardwareClass, Sealing sealing) {
        List<Double> decided = trials.bySeed().entrySet().stream()
                .filter(t -> !sealing.sealed(commit, t.getKey())).map(java.util.Map.Entry::getValue).toList();
        if (!trials.bySeed().isEmpty()) {
            return FiniteMean.of(decided.stream().mapToDouble(Double::doubleValue));
        }
        return FiniteMean.of(okIn(hardwareClass, results).filter(r -> !sealing.sealed(r)).mapToDouble(Result::getMetric));
    }

    static List<SignedEnvelope> papersCiting(List<SignedEnvelope> papers, String commit) {
        return papers.stream().filter(p -> {
            try {
                return Paper.parseFrom(p.getPayload()).getCommitsList().contains(commit);
            } catch (InvalidProtocolBufferException ex) {
                return false;
            }
        }).toList();
    }
}
