package dev.rhizome.protocol.seed;

import dev.rhizome.proto.v1.MetricSpec;
import java.util.Optional;

/**
 * Whether a reported metric can be a trial's value under its seed's {@link MetricSpec}: finite,
 * and within the plausible range the manifest names ({@code metric.min}, {@code metric.max}, both
 * inclusive and optional). A quorum of colluding keys agreeing on {@code -Double.MAX_VALUE} for a
 * lower-is-better metric settled it as a frontier nothing could beat, freezing the direction; a
 * bits-per-byte below 0 is no measurement, however many keys sign it. The coordinator refuses such
 * a result at intake and {@code rhizome verify} flags a stored one, by this one rule; a node reports
 * a run whose metric breaks it as a CRASH of the commit's code (a diverged run printing a huge loss)
 * rather than sending a result the coordinator would refuse, which would leave its lease to run out.
 */
public final class MetricRange {
    private MetricRange() {
    }

    /** Empty when {@code value} may be a trial's metric; otherwise why not, naming the value and the bound. */
    public static Optional<String> violation(MetricSpec spec, double value) {
        if (!Double.isFinite(value)) {
            return Optional.of("metric must be a finite number, got " + value);
        }
        // Compared as "not at or above", so a NaN bound (refused at publish) refuses everything rather than nothing
        if (spec.hasMin() && !(value >= spec.getMin())) {
            return Optional.of("metric " + value + " is below the seed's metric.min " + spec.getMin());
        }
        if (spec.hasMax() && !(value <= spec.getMax())) {
            return Optional.of("metric " + value + " is above the seed's metric.max " + spec.getMax());
        }
        return Optional.empty();
    }

    /** The range as a person reads it, e.g. "[0.0, 64.0]" or "[0.0, any]". */
    public static String describe(MetricSpec spec) {
        return "[" + (spec.hasMin() ? String.valueOf(spec.getMin()) : "any") + ", "
                + (spec.hasMax() ? String.valueOf(spec.getMax()) : "any") + "]";
    }
}
