package dev.rhizome.protocol.seed;

import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a metric from a job's output: the last line of the form {@code <name>: <number>}, the
 * format autoresearch prints after its {@code ---} line. A {@code <name>: FAIL} line after the
 * last value (NaN loss) or a non-finite number means the run has no metric.
 */
public final class MetricParser {
    private static final String BLANKS = "[ \\t\\x0B\\f]*";
    private final Pattern line;

    public MetricParser(String metricName) {
        // Blanks within the line only ([ \t\x0B\f], not \s): \s matches line breaks too, so each
        // line's "^\s*" ran over every blank line after it and back, and a job's log of a few MiB
        // of empty lines held the node's slot for days (quadratic). \r ends a line in MULTILINE.
        this.line = Pattern.compile("^" + BLANKS + Pattern.quote(metricName) + BLANKS + ":" + BLANKS + "(\\S+)" + BLANKS + "$",
                Pattern.MULTILINE);
    }

    public OptionalDouble parse(CharSequence output) {
        Matcher m = line.matcher(output);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        if (last == null) {
            return OptionalDouble.empty();
        }
        try {
            double value = Double.parseDouble(last);
            return Double.isFinite(value) ? OptionalDouble.of(value) : OptionalDouble.empty();
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
    }
}
