package dev.rhizome.coordinator.core;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Leaderboard;
import dev.rhizome.proto.v1.LeaderboardEntry;
import dev.rhizome.proto.v1.LeaderboardList;
import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Result;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ranks a direction's commits, one board per hardware class, since wall-clock results from
 * different hardware are not comparable. Entries come without descriptions.
 */
public final class Leaderboards {
    /**
     * A commit that can appear on a direction's board: its base or one of its experiments. Without
     * its description (up to 16 KiB): a board holds every experiment of its direction, and a reply
     * describes only the entries it shows (service.BoardDescriptions).
     */
    public record Contender(String commit, String parent, ByteString proposer) {
    }

    /** An OK result's metric on a commit, as a board counts it. */
    public record Measurement(String commit, String hardwareClass, double metric, long randomSeed) {
        /** The result's measurement, or null when it measured nothing (not OK). */
        public static Measurement of(Result r) {
            return r.getStatus() == Result.Status.OK
                    ? new Measurement(r.getCommit(), r.getHardwareClass(), r.getMetric(), r.getRandomSeed()) : null;
        }
    }

    private Leaderboards() {
    }

    /**
     * @param results     results for the contenders' commits, any status
     * @param classFilter only this hardware class when not empty
     */
    public static LeaderboardList build(String direction, MetricSpec metric, List<Contender> contenders,
            List<Result> results, String frontierCommit, String classFilter) {
        List<Measurement> measured = new ArrayList<>();
        for (Result r : results) {
            Measurement m = Measurement.of(r);
            if (m != null && (classFilter.isEmpty() || classFilter.equals(m.hardwareClass()))) {
                measured.add(m);
            }
        }
        Map<String, Contender> byCommit = new LinkedHashMap<>();
        contenders.forEach(c -> byCommit.putIfAbsent(c.commit(), c));
        return build(direction, metric, byCommit, measured, frontierCommit);
    }

    /**
     * From the measurements of OK results, in the order stored; {@code byCommit} the contenders by
     * commit (the first of a commit's kept). A measurement of a commit that is no contender counts nowhere.
     */
    public static LeaderboardList build(String direction, MetricSpec metric, Map<String, Contender> byCommit,
            Iterable<Measurement> measurements, String frontierCommit) {
        Map<String, Map<String, List<Double>>> metricsByClass = new TreeMap<>();
        for (Measurement m : measurements) {
            if (byCommit.containsKey(m.commit())) {
                metricsByClass.computeIfAbsent(m.hardwareClass(), c -> new LinkedHashMap<>())
                        .computeIfAbsent(m.commit(), c -> new ArrayList<>()).add(m.metric());
            }
        }
        Comparator<LeaderboardEntry> bestFirst = Comparator.comparingDouble(LeaderboardEntry::getMetric);
        if (!metric.getLowerIsBetter()) {
            bestFirst = bestFirst.reversed();
        }
        LeaderboardList.Builder boards = LeaderboardList.newBuilder();
        for (var perClass : metricsByClass.entrySet()) {
            List<LeaderboardEntry> entries = new ArrayList<>();
            perClass.getValue().forEach((commit, metrics) -> {
                Contender c = byCommit.get(commit);
                entries.add(LeaderboardEntry.newBuilder()
                        .setCommit(commit)
                        .setParent(c.parent())
                        .setMetric(FiniteMean.of(metrics.stream().mapToDouble(Double::doubleValue)).orElseThrow())
                        .setReplicas(metrics.size())
                        .setProposer(c.proposer())
                        .setFrontier(commit.equals(frontierCommit))
                        .build());
            });
            entries.sort(bestFirst.thenComparing(LeaderboardEntry::getReplicas, Comparator.reverseOrder()));
            boards.addLeaderboards(Leaderboard.newBuilder()
                    .setDirection(direction)
                    .setHardwareClass(perClass.getKey())
                    .setMetricName(metric.getName())
                    .setLowerIsBetter(metric.getLowerIsBetter())
                    .addAllEntries(entries));
        }
        return boards.build();
    }
}
