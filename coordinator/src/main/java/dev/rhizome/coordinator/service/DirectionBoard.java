package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.Sealing;
import dev.rhizome.coordinator.store.Units;
import java.util.HashSet;
import java.util.Set;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Leaderboards;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.store.Boards;
import dev.rhizome.coordinator.store.Experiments;
import dev.rhizome.coordinator.store.Keyed;
import dev.rhizome.coordinator.store.Results;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.Stored;
import dev.rhizome.proto.v1.Experiment;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.Manifest;
import dev.rhizome.proto.v1.ResultVerdict;
import dev.rhizome.protocol.LogSafe;
import java.util.ArrayList;
import java.util.HashMap;
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
 * <p>Keeps every experiment as a contender (commit, parent, proposer: no description, which a
 * reply fetches for the entries it shows, {@link BoardDescriptions}) and every counted OK
 * result's measurement, in the order stored, so a build gives exactly what one from the whole
 * history gives ({@link Leaderboards} ranks them the same way). Keys follow commit order on both
 * stores, and each build reads one snapshot, so nothing is read twice or missed; a result read
 * twice (stored and changed since) is taken as it is now. State changes only once every read of
 * a build has succeeded. The ranking is shared while fresh ({@link FreshCopy}); what all this
 * holds is {@link #weight()}, by which {@link DirectionBoards} bounds the boards it keeps.
 */
final class DirectionBoard {
    /**
     * Experiments read per statement: the first build reads the whole direction a page at a time,
     * each up to 16 KiB with its description, and keeps only the contender of each.
     */
    static final int EXPERIMENTS_PER_READ = 256;
    /**
     * Estimated heap bytes of what a board keeps, for its weight: a contender (two 40-character
     * commit ids, a 32-byte key, a map entry), a measurement (a map entry, its key, a record whose
     * commit and class are shared), a ranked entry (a message whose strings are the contender's),
     * and what every board holds whatever its size.
     */
    static final int CONTENDER_BYTES = 320;
    static final int MEASUREMENT_BYTES = 128;
    static final int ENTRY_BYTES = 192;
    static final int BOARD_BYTES = 2_048;

    private final String direction;
    private final FreshCopy<LeaderboardList> ranking;
    private final Map<String, Leaderboards.Contender> experiments = new HashMap<>();
    /** The counted OK results' measurements by key. */
    private final TreeMap<Long, Leaderboards.Measurement> counted = new TreeMap<>();
    /** Hardware classes by name: each measurement names one of a few, kept once. */
    private final Map<String, String> classes = new HashMap<>();
    private long experimentsUpTo;
    private long resultsUpTo;
    private long changesUpTo;
    private volatile int weight = BOARD_BYTES;

    DirectionBoard(String direction, FreshCopy<LeaderboardList> ranking) {
        this.direction = direction;
        this.ranking = ranking;
    }

    /**
     * The direction's boards, best first, without descriptions but the base's: the shared copy
     * while fresh, else brought up to date in a read transaction. An unknown direction is a 404.
     */
    LeaderboardList ranking(Store store) {
        return ranking.get(() -> store.inReadTransaction(tx -> {
            DirectionRecord d = tx.direction(direction)
                    .orElseThrow(() -> Rejection.notFound("unknown direction " + LogSafe.of(direction, 60)));
            Manifest manifest = tx.seed(d.direction().getSeed()).orElseThrow().record().getManifest();
            return build(tx, d, manifest);
        }));
    }

    /**
     * Whether a ranking was ever built or is being built (a board that never was, and is not now,
     * holds nothing worth keeping).
     */
    boolean built() {
        return ranking.built() || ranking.building();
    }

    /** Estimated heap bytes this board holds: what it keeps to bring itself up to date, and its ranking. */
    int weight() {
        return weight;
    }

    synchronized <T extends Boards & Experiments & Results & Units> LeaderboardList build(T tx, DirectionRecord d,
            Manifest manifest) {
        List<Leaderboards.Contender> newContenders = new ArrayList<>();
        long experimentsMark = experimentsUpTo;
        for (List<Keyed<Long, Stored<Experiment>>> page; ; ) {
            page = tx.experiments(direction, experimentsMark, EXPERIMENTS_PER_READ);
            page.forEach(k -> newContenders.add(contender(k.value().record())));
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

        newContenders.forEach(c -> experiments.putIfAbsent(c.commit(), c));
        experimentsUpTo = experimentsMark;
        for (Store.BoardResult r : stored) {
            take(r);
            resultsUpTo = Math.max(resultsUpTo, r.seq());
        }
        changed.forEach(this::take);
        changesUpTo = Math.max(changesUpTo, lastChange);

        Map<String, Leaderboards.Contender> byCommit = new LinkedHashMap<>();
        byCommit.put(base, baseExperiment.map(this::contender)
                .orElse(new Leaderboards.Contender(base, "", ByteString.EMPTY)));
        experiments.forEach(byCommit::putIfAbsent);
        List<Leaderboards.Measurement> measurements = new ArrayList<>(counted.values());
        measurements.addAll(baseElsewhere);
        // a result whose trial has a replica out counts on no board until none is (Sealing): a board's
        // mean of one replica is that replica's metric, read by whoever holds another
        Map<String, Set<Long>> pending = new HashMap<>(tx.pendingTrialSeedsOfDirection(direction));
        tx.pendingTrialSeeds(List.of(base)).forEach((c, seeds) -> pending.merge(c, seeds,
                (a, b) -> { Set<Long> all = new HashSet<>(a); all.addAll(b); return all; }));
        Sealing sealing = Sealing.of(pending);
        measurements.removeIf(m -> sealing.sealed(m.commit(), m.randomSeed()));
        LeaderboardList boards = markCompared(describeBase(Leaderboards.build(direction, manifest.getMetric(), byCommit,
                measurements, d.frontier().commit()), base,
                baseExperiment.map(Experiment::getDescription).orElse("base of " + direction)), d);
        weigh(boards);
        return boards;
    }

    /**
     * The base's entries carry their description, read at each build anyway (a base that is no
     * experiment has none to fetch: it is described as the base of this direction).
     */
    private static LeaderboardList describeBase(LeaderboardList boards, String base, String description) {
        LeaderboardList.Builder out = boards.toBuilder();
        for (Leaderboard.Builder board : out.getLeaderboardsBuilderList()) {
            board.getEntriesBuilderList().stream().filter(e -> e.getCommit().equals(base))
                    .forEach(e -> e.setDescription(description));
        }
        return out.build();
    }

    /**
     * The board of the class the direction compares in says so: a class's board is the node's
     * word for its class, and one a few keys made up ranks beside the real ones.
     */
    private static LeaderboardList markCompared(LeaderboardList boards, DirectionRecord d) {
        if (!d.frontier().isMeasured() || d.frontier().hardwareClass().isEmpty()) {
            return boards;
        }
        LeaderboardList.Builder out = boards.toBuilder();
        out.getLeaderboardsBuilderList().stream().filter(b -> b.getHardwareClass().equals(d.frontier().hardwareClass()))
                .forEach(b -> b.setCompared(true));
        return out.build();
    }

    private void weigh(LeaderboardList boards) {
        long entries = boards.getLeaderboardsList().stream().mapToLong(Leaderboard::getEntriesCount).sum();
        long baseText = boards.getLeaderboardsList().stream().flatMap(b -> b.getEntriesList().stream())
                .mapToLong(e -> 2L * e.getDescription().length()).sum();
        long bytes = BOARD_BYTES + (long) CONTENDER_BYTES * experiments.size()
                + (long) MEASUREMENT_BYTES * counted.size() + (long) ENTRY_BYTES * entries + baseText;
        weight = (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    /** An experiment as a contender, its parent the same string as that commit's contender where one is kept. */
    private Leaderboards.Contender contender(Experiment x) {
        Leaderboards.Contender parent = experiments.get(x.getParent());
        return new Leaderboards.Contender(x.getCommit(), parent == null ? x.getParent() : parent.commit(),
                x.getProposer());
    }

    private void take(Store.BoardResult r) {
        Leaderboards.Measurement m = r.counted() ? Leaderboards.Measurement.of(r.result()) : null;
        if (m == null) {
            counted.remove(r.seq());
        } else {
            Leaderboards.Contender c = experiments.get(m.commit());
            counted.put(r.seq(), new Leaderboards.Measurement(c == null ? m.commit() : c.commit(),
                    classes.computeIfAbsent(m.hardwareClass(), k -> k), m.metric(), m.randomSeed()));
        }
    }
}
