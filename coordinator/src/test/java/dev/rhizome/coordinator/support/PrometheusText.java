package dev.rhizome.coordinator.support;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for tests: it
 * rejects what Prometheus would reject (bad names, bad label escapes, values that are not
 * numbers, samples of a family with no TYPE, a TYPE given twice, histogram buckets that fall)
 * rather than matching strings. No Java library for reading the format resolves here. Shared
 * with the client's tests (the node's {@code /metrics}) through this module's test-jar.
 */
public final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+-?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("\\s*([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"\\s*(,|$)");

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final Map<String, String> types = new HashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    private PrometheusText() {
    }

    public static PrometheusText parse(String text) {
        PrometheusText parsed = new PrometheusText();
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            try {
                parsed.line(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + n + " '" + line + "': " + e.getMessage(), e);
            }
        }
        parsed.checkHistograms();
        return parsed;
    }

    private void line(String line) {
        if (line.startsWith("# TYPE ")) {
            String[] parts = line.substring(7).split(" ");
            require(parts.length == 2 && NAME.matcher(parts[0]).matches(), "malformed TYPE");
            require(List.of("counter", "gauge", "histogram", "summary", "untyped").contains(parts[1]), "unknown type");
            require(types.put(parts[0], parts[1]) == null, "TYPE given twice for " + parts[0]);
            return;
        }
        if (line.startsWith("#")) {
            return;  // HELP and comments
        }
        Matcher m = SAMPLE.matcher(line);
        require(m.matches(), "not a sample");
        Map<String, String> labels = new LinkedHashMap<>();
        if (m.group(3) != null && !m.group(3).isEmpty()) {
            Matcher l = LABEL.matcher(m.group(3));
            int end = 0;
            while (l.find() && l.start() == end) {
                require(labels.put(l.group(1), unescape(l.group(2))) == null, "label " + l.group(1) + " twice");
                end = l.end();
            }
            require(end == m.group(3).length(), "malformed labels");
        }
        require(family(m.group(1)) != null, "sample of a family with no TYPE");
        samples.add(new Sample(m.group(1), labels, number(m.group(4))));
    }

    private String family(String sample) {
        if (types.containsKey(sample)) {
            return sample;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum", "_total", "_max")) {
            if (sample.endsWith(suffix) && types.containsKey(sample.substring(0, sample.length() - suffix.length()))) {
                return sample.substring(0, sample.length() - suffix.length());
            }
        }
        return null;
    }

    private static double number(String s) {
        return switch (s) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(s);
        };
    }

    private static String unescape(String s) {
        return s.replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
    }

    /** Cumulative buckets never fall, and the +Inf bucket equals the count. */
    private void checkHistograms() {
        Map<Map<String, String>, Double> last = new HashMap<>();
        for (Sample s : samples) {
            if (s.name().endsWith("_bucket")) {
                Map<String, String> series = new HashMap<>(s.labels());
                String le = series.remove("le");
                require(le != null, s.name() + " without le");
                series.put("__name__", s.name());
                Double before = last.put(series, s.value());
                require(before == null || before <= s.value(), s.name() + " buckets fall at le=" + le);
                if (le.equals("+Inf")) {
                    String count = s.name().replace("_bucket", "_count");
                    Map<String, String> labels = new HashMap<>(s.labels());
                    labels.remove("le");
                    require(value(count, labels) == s.value(), count + " differs from its +Inf bucket");
                }
            }
        }
    }

    private static void require(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(problem);
        }
    }

    public String type(String family) {
        return types.get(family);
    }

    /** The value of the one sample with this name and at least these labels; 0 when there is none. */
    public double value(String name, Map<String, String> labels) {
        List<Sample> found = samples.stream().filter(s -> s.name().equals(name))
                .filter(s -> s.labels().entrySet().containsAll(labels.entrySet())).toList();
        require(found.size() <= 1, found.size() + " samples of " + name + " match " + labels);
        return found.isEmpty() ? 0 : found.get(0).value();
    }

    /** Every sample with this name. */
    public List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }
}
