package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Leaderboards;
import dev.rhizome.coordinator.store.Keyed;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.ResultVerdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One direction's leaderboard, kept up to date by reading only what happened since its last
 * build: experiments registered and results stored after the keys it read up to, and the results
 * whose counting changed since (found INVALID by their trial, or no longer; the store notes each
 * change, migration 18). Before, every rebuild (up to once a second while anyone asked) read
 * every experiment and every counted result of the direction.
 *
 * <p>Keeps every experiment as a contender and every counted OK result's measurement, in the order
 * stored, so a build gives exactly what one from the whole history gives ({@link Leaderboards}
 * ranks them the same way). Keys follow commit order on both stores, and each build reads one
 * snapshot, so nothing is read twice or missed; a result read twice (stored and changed since)
 * is taken as it is now. State changes only once every read of a build has succeeded.
 */
final class DirectionBoard {
    /** Experiments read per statement: the first build reads the whole direction, a page at a time. */
    private static final int EXPERIMENTS_PER_READ = 1_000;

    private final String direction;
    private final Map<String, Leaderboards.Contender> experiments = new LinkedHashMap<>();
    /** The counted OK results' measurements by key. */
    private final TreeMap<Long, Leaderboards.Measurement> counted = new TreeMap<>();
    private long experimentsUpTo;
    private long resultsUpTo;
    private long changesUpTo;

    DirectionBoard(String direction) {
        this.direction = direction;
    }

    synchronized LeaderboardList build(Store.Transaction tx, DirectionRecord d, Manifest manifest) {
        List<Keyed<Long, Stored<Experiment>>> newExperiments = new ArrayList<>();
        long experimentsMark = experimentsUpTo;
        for (List<Keyed<Long, Stored<Experiment>>> page; ; ) {
            page = tx.experiments(direction, experimentsMark, EXPERIMENTS_PER_READ);
            newExperiments.addAll(page);
            if (!page.isEmpty()) {
                experimentsMark = page.get(page.size() - 1).key();
            }
            if (page.size() < EXPERIMENTS_PER_READ) {
                break;
            }
        }
        List<Store.BoardResult> stored = tx.boardResultsAfter(direction, resultsUpTo);
        long lastChange = tx.lastBoardChange();
        List<Store.BoardResult> changed = lastChange > changesUpTo
                ? tx.boardResultsChangedAfter(direction, changesUpTo) : List.of();
        String base = d.direction().getBaseCommit();
        Optional<Experiment> baseExperiment = tx.experiment(base).map(Stored::record);
        List<Leaderboards.Measurement> baseElsewhere = new ArrayList<>();
        // The base's results on other directions (it may be another direction's commit) count too:
        // one commit's results, read whole.
        tx.resultEntries(base).stream()
                .filter(e -> !e.result().getDirection().equals(direction))
                .filter(e -> !e.late() && tx.resultState(e.envelopeId()).orElse(ResultVerdict.State.PENDING)
                        != ResultVerdict.State.INVALID)
                .map(e -> Leaderboards.Measurement.of(e.result()))
                .filter(m -> m != null)
                .forEach(baseElsewhere::add);

        for (Keyed<Long, Stored<Experiment>> k : newExperiments) {
            Experiment x = k.value().record();
            experiments.putIfAbsent(x.getCommit(), new Leaderboards.Contender(x.getCommit(), x.getParent(),
                    x.getProposer(), x.getDescription()));
        }
        experimentsUpTo = experimentsMark;
        for (Store.BoardResult r : stored) {
            take(r);
            resultsUpTo = Math.max(resultsUpTo, r.seq());
        }
        changed.forEach(this::take);
        changesUpTo = Math.max(changesUpTo, lastChange);

        Map<String, Leaderboards.Contender> byCommit = new LinkedHashMap<>();
        byCommit.put(base, new Leaderboards.Contender(base, baseExperiment.map(Experiment::getParent).orElse(""),
                baseExperiment.map(Experiment::getProposer).orElse(ByteString.EMPTY),
                baseExperiment.map(Experiment::getDescription).orElse("base of " + direction)));
        experiments.forEach(byCommit::putIfAbsent);
        List<Leaderboards.Measurement> measurements = new ArrayList<>(counted.values());
        measurements.addAll(baseElsewhere);
        return Leaderboards.build(direction, manifest.getMetric(), byCommit, measurements, d.frontier().commit());
    }

    private void take(Store.BoardResult r) {
        Leaderboards.Measurement m = r.counted() ? Leaderboards.Measurement.of(r.result()) : null;
        if (m == null) {
            counted.remove(r.seq());
        } else {
            counted.put(r.seq(), m);
        }
    }
}
