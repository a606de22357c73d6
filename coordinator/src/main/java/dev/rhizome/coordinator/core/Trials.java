package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.ResultVerdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Judges a trial: one commit run at one random seed. Its replicas are compared only within a
 * hardware class. A class is decided, as in BOINC's validator, at the first moment (in the order
 * results arrived) when an agreeing cluster (all within the tolerance of each other) has at least
 * {@code quorum} members and is a strict majority of the OK results: its members are VALID, the
 * other OK results INVALID, and results that arrive afterwards TOO_LATE. Until then OK results are
 * PENDING, or INCONCLUSIVE once there are enough of them to decide but they disagree. CRASH,
 * TIMEOUT and REFUSED results are ERROR and never compared; late results (their unit had been
 * re-leased to another key) are TOO_LATE whenever they came; UNFETCHABLE reports (the job never
 * ran) are left out altogether. Pure, so the coordinator and {@code rhizome verify} judge the same way.
 */
public final class Trials {
    /**
     * A stored result with the id of its envelope. A {@code late} one came after its unit was
     * re-leased to another key: it is kept, TOO_LATE, but never a replica.
     */
    public record Entry(String envelopeId, Result result, boolean late) {
        public Entry(String envelopeId, Result result) {
            this(envelopeId, result, false);
        }
    }

    public record Verdict(Entry entry, ResultVerdict.State state) {
    }

    /** What one hardware class decided for the trial. */
    public record Outcome(String hardwareClass, ResultVerdict.State state, OptionalDouble metric,
            List<Verdict> verdicts) {
        public boolean decided() {
            return state == ResultVerdict.State.VALID;
        }

        /** Results judged in this class that came in time (late ones are never replicas). */
        public int inTime() {
            return (int) verdicts.stream().filter(v -> !v.entry().late()).count();
        }

        public int okResults() {
            return (int) verdicts.stream().filter(v -> v.entry().result().getStatus() == Result.Status.OK).count();
        }
    }

    private Trials() {
    }

    /**
     * @param entries              every result of one trial, in the order received
     * @param onReputation         hardware classes whose trial was accepted on one trusted runner's result
     */
    public static List<Outcome> judge(List<Entry> entries, int quorum, double tolerance, Set<String> onReputation) {
        Map<String, List<Entry>> byClass = new LinkedHashMap<>();
        // UNFETCHABLE reports are failed attempts, not replicas: the job never ran.
        entries.stream().filter(e -> e.result().getStatus() != Result.Status.UNFETCHABLE).forEach(e -> byClass.computeIfAbsent(e.result().getHardwareClass(), c -> new ArrayList<>()).add(e));
        List<Outcome> outcomes = new ArrayList<>();
        byClass.forEach((hardwareClass, inClass) -> outcomes.add(
                judgeClass(hardwareClass, inClass, onReputation.contains(hardwareClass) ? 1 : Math.max(1, quorum),
                        tolerance)));
        return outcomes;
    }

    private static Outcome judgeClass(String hardwareClass, List<Entry> entries, int quorum, double tolerance) {
        List<Entry> ok = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (!counts(e)) {
                continue;
            }
            ok.add(e);
            List<Entry> cluster = largestAgreeingCluster(ok, tolerance);
            if (cluster.size() >= quorum && 2 * cluster.size() > ok.size()) {
                List<Verdict> verdicts = new ArrayList<>();
                for (int j = 0; j < entries.size(); j++) {
                    Entry x = entries.get(j);
                    ResultVerdict.State state;
                    if (!counts(x)) {
                        state = notCounted(x);
                    } else if (j > i) {
                        state = ResultVerdict.State.TOO_LATE;
                    } else {
                        state = cluster.contains(x) ? ResultVerdict.State.VALID : ResultVerdict.State.INVALID;
                    }
                    verdicts.add(new Verdict(x, state));
                }
                double mean = FiniteMean.of(cluster.stream().mapToDouble(c -> c.result().getMetric())).orElseThrow();
                return new Outcome(hardwareClass, ResultVerdict.State.VALID, OptionalDouble.of(mean), verdicts);
            }
        }
        ResultVerdict.State waiting = ok.size() >= quorum ? ResultVerdict.State.INCONCLUSIVE : ResultVerdict.State.PENDING;
        List<Verdict> verdicts = entries.stream()
                .map(e -> new Verdict(e, counts(e) ? waiting : notCounted(e))).toList();
        return new Outcome(hardwareClass, waiting, OptionalDouble.empty(), verdicts);
    }

    /**
     * Replicas disagree and nothing more is on its way: one more replica should break the tie, up
     * to {@code 2 * quorum + 1} results in the trial (BOINC's max_total_results, in spirit).
     */
    public static boolean needsTieBreaker(Outcome outcome, int resultsInTrial, int quorum, int pendingUnits) {
        return outcome.state() == ResultVerdict.State.INCONCLUSIVE && pendingUnits == 0
                && resultsInTrial < 2 * Math.max(1, quorum) + 1;
    }

    /** An OK result in time: a replica to compare. */
    private static boolean counts(Entry e) {
        return !e.late() && isOk(e.result());
    }

    private static ResultVerdict.State notCounted(Entry e) {
        return e.late() ? ResultVerdict.State.TOO_LATE : ResultVerdict.State.ERROR;
    }

    static boolean isOk(Result r) {
        return r.getStatus() == Result.Status.OK && Double.isFinite(r.getMetric());
    }

    /** The most results whose metrics fit within {@code tolerance}; the tighter one on a tie. */
    private static List<Entry> largestAgreeingCluster(List<Entry> entries, double tolerance) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingDouble(e -> e.result().getMetric()));
        List<Entry> best = List.of();
        int start = 0;
        for (int end = 0; end < sorted.size(); end++) {
            while (metric(sorted, end) - metric(sorted, start) > tolerance) {
                start++;
            }
            List<Entry> window = sorted.subList(start, end + 1);
            if (window.size() > best.size() || window.size() == best.size() && spread(window) < spread(best)) {
                best = List.copyOf(window);
            }
        }
        return best;
    }

    private static double metric(List<Entry> sorted, int i) {
        return sorted.get(i).result().getMetric();
    }

    private static double spread(List<Entry> sorted) {
        return sorted.isEmpty() ? Double.POSITIVE_INFINITY
                : sorted.get(sorted.size() - 1).result().getMetric() - sorted.get(0).result().getMetric();
    }
}
