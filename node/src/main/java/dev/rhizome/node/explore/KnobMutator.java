package dev.rhizome.node.explore;

import dev.rhizome.proto.v1.Knob;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Proposes new knob settings near the current ones: one knob most of the time, two sometimes, so
 * a result says something about the knob that moved. Log-scale knobs move by a factor, linear
 * ones by a fraction of their range; everything stays within the manifest's bounds. Pure.
 */
public final class KnobMutator {
    private static final double LOG_STEP = 0.6;       // sigma of ln(factor): mostly within x0.5..x2
    private static final double LINEAR_STEP = 0.2;    // sigma as a fraction of the knob's range

    private KnobMutator() {
    }

    /**
     * @param current the knobs' current values (as written in their files); missing ones start mid-range
     * @return the knobs that change, with their new values formatted for the file
     */
    public static Map<String, String> propose(Map<String, String> current, List<Knob> knobs, Random random) {
        if (knobs.isEmpty()) {
            return Map.of();
        }
        List<Knob> shuffled = new ArrayList<>(knobs);
        Collections.shuffle(shuffled, random);
        int count = shuffled.size() > 1 && random.nextDouble() < 0.3 ? 2 : 1;
        Map<String, String> changes = new LinkedHashMap<>();
        for (Knob knob : shuffled.subList(0, count)) {
            double value = currentValue(current.get(knob.getName()), knob);
            changes.put(knob.getName(), format(step(value, knob, random), knob));
        }
        return changes;
    }

    static double currentValue(String text, Knob knob) {
        try {
            return text == null ? midpoint(knob) : Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            return midpoint(knob);
        }
    }

    private static double midpoint(Knob knob) {
        return knob.getLogScale() ? Math.sqrt(knob.getMin() * knob.getMax()) : (knob.getMin() + knob.getMax()) / 2;
    }

    static double step(double value, Knob knob, Random random) {
        double next = knob.getLogScale() && value > 0
                ? value * Math.exp(random.nextGaussian() * LOG_STEP)
                : value + random.nextGaussian() * LINEAR_STEP * (knob.getMax() - knob.getMin());
        next = clamp(next, knob);
        if (knob.getInteger()) {
            long rounded = Math.round(next);
            if (rounded == Math.round(value)) {
                // an integer knob must actually move, or the experiment repeats its parent
                rounded += (rounded + 1 <= knob.getMax() && (random.nextBoolean() || rounded - 1 < knob.getMin())) ? 1 : -1;
            }
            return clamp(rounded, knob);
        }
        return next;
    }

    private static double clamp(double v, Knob knob) {
        return Math.max(knob.getMin(), Math.min(knob.getMax(), v));
    }

    static String format(double value, Knob knob) {
        if (knob.getInteger()) {
            return Long.toString(Math.round(value));
        }
        // Four significant digits: finer steps are below any seed's noise.
        return new BigDecimal(value).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }
}
