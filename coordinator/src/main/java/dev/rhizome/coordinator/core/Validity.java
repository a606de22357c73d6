package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.MetricSpec;
import dev.rhizome.proto.v1.Result;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decides when replicated results make an experiment valid. Replicas are only compared within a
 * hardware class; CRASH and TIMEOUT results never count. A result is valid once {@code quorum} OK
 * results of one class lie within the manifest's tolerance of each other; its metric is their mean.
 */
public final class Validity {
    private Validity() {
    }

    /** Every hardware class in which the results reached agreement, in order of first result. */
    public static List<Agreement> agreements(List<Result> results, int quorum, double tolerance) {
        List<Agreement> found = new ArrayList<>();
        okMetricsByClass(results).forEach((hardwareClass, metrics) ->
                largestAgreeingCluster(metrics, tolerance)
                        .filter(cluster -> cluster.size() >= quorum)
                        .ifPresent(cluster -> found.add(new Agreement(hardwareClass, mean(cluster), cluster.size()))));
        return found;
    }

    public static Optional<Agreement> agreementIn(String hardwareClass, List<Result> results, int quorum,
            double tolerance) {
        return agreements(results, quorum, tolerance).stream()
                .filter(a -> a.hardwareClass().equals(hardwareClass)).findFirst();
    }

    /**
     * Enough OK replicas arrived in some class but they disagree: another replica should break the
     * tie, up to {@code 2 * quorum + 1} results in all (BOINC's max_total_results, in spirit).
     */
    public static boolean needsTieBreaker(List<Result> results, int quorum, MetricSpec metric, int pendingUnits) {
        if (pendingUnits > 0 || results.size() >= 2 * quorum + 1
                || !agreements(results, quorum, metric.getTolerance()).isEmpty()) {
            return false;
        }
        return okMetricsByClass(results).values().stream().anyMatch(m -> m.size() >= quorum);
    }

    private static Map<String, List<Double>> okMetricsByClass(List<Result> results) {
        Map<String, List<Double>> byClass = new LinkedHashMap<>();
        for (Result r : results) {
            if (r.getStatus() == Result.Status.OK && Double.isFinite(r.getMetric())) {
                byClass.computeIfAbsent(r.getHardwareClass(), c -> new ArrayList<>()).add(r.getMetric());
            }
        }
        return byClass;
    }

    /** The most metrics that fit within {@code tolerance} of each other; the tighter one on a tie. */
    private static Optional<List<Double>> largestAgreeingCluster(List<Double> metrics, double tolerance) {
        List<Double> sorted = new ArrayList<>(metrics);
        sorted.sort(Comparator.naturalOrder());
        List<Double> best = null;
        int start = 0;
        for (int end = 0; end < sorted.size(); end++) {
            while (sorted.get(end) - sorted.get(start) > tolerance) {
                start++;
            }
            List<Double> window = sorted.subList(start, end + 1);
            if (best == null || window.size() > best.size()
                    || window.size() == best.size() && spread(window) < spread(best)) {
                best = List.copyOf(window);
            }
        }
        return Optional.ofNullable(best);
    }

    private static double spread(List<Double> sorted) {
        return sorted.get(sorted.size() - 1) - sorted.get(0);
    }

    static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }
}
