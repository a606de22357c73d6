package dev.rhizome.node.explore;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and rewrites {@code key=value} lines of a properties file as text, so that an edit changes
 * only the lines of the knobs it touches and keeps comments, order and layout: diffs stay minimal.
 */
public final class PropertiesText {
    private static final Pattern LINE = Pattern.compile("^(\\s*)([A-Za-z0-9_.-]+)(\\s*[=:]\\s*)(.*?)(\\s*)$", Pattern.MULTILINE);

    private PropertiesText() {
    }

    public static Map<String, String> read(String text) {
        Map<String, String> values = new LinkedHashMap<>();
        Matcher m = LINE.matcher(text);
        while (m.find()) {
            values.put(m.group(2), m.group(4));
        }
        return values;
    }

    /** Returns the text with each key's value replaced; keys not present are appended. */
    public static String write(String text, Map<String, String> changes) {
        Map<String, String> remaining = new LinkedHashMap<>(changes);
        Matcher m = LINE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String key = m.group(2);
            String replacement = remaining.containsKey(key)
                    ? m.group(1) + key + m.group(3) + remaining.remove(key) + m.group(5)
                    : m.group();
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        for (Map.Entry<String, String> e : remaining.entrySet()) {
            if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
                out.append('\n');
            }
            out.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return out.toString();
    }
}
