package dev.rhizome.coordinator.core;

import java.util.OptionalDouble;
import java.util.stream.DoubleStream;

/**
 * The mean of measurements, which is finite whenever they are. A result's metric is any finite
 * double, so two replicas reporting {@code Double.MAX_VALUE} summed to infinity: the trial's mean,
 * the frontier and baseline settled from it, the leaderboard and the dashboard's tree said
 * "Infinity" (bare, which is no JSON: the dashboard's page failed to parse its data, for every
 * viewer). The plain average is kept where it is finite (so honest numbers are bit for bit what
 * they were); otherwise each value is divided first, and the mean is held between the least and
 * the greatest value, where a mean is. Non-finite values are not measurements and are skipped.
 */
public final class FiniteMean {
    private FiniteMean() {
    }

    public static OptionalDouble of(DoubleStream values) {
        double[] finite = values.filter(Double::isFinite).toArray();
        if (finite.length == 0) {
            return OptionalDouble.empty();
        }
        double plain = DoubleStream.of(finite).average().orElseThrow();
        if (Double.isFinite(plain)) {
            return OptionalDouble.of(plain);
        }
        double least = Double.MAX_VALUE;
        double greatest = -Double.MAX_VALUE;
        double scaled = 0;
        for (double v : finite) {
            least = Math.min(least, v);
            greatest = Math.max(greatest, v);
            scaled += v / finite.length;
        }
        return OptionalDouble.of(Math.max(least, Math.min(greatest, scaled)));
    }
}
