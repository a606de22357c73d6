package dev.rhizome.coordinator.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The hops of an RFC 7239 {@code Forwarded} header, in order: each element's {@code for=} node as
 * an address's text (IPv4, or IPv6 without its brackets; the port dropped), or {@code ""} where the
 * element names none a walk can believe: an obfuscated identifier ({@code _hidden}), {@code unknown},
 * no {@code for=} at all, or an element that is not well formed (an unclosed quote, a parameter
 * without {@code =}). {@link TrustedProxies} walks these right to left as it walks
 * {@code X-Forwarded-For}'s: an entry that is not a literal address ends the walk.
 */
final class ForwardedHeader {
    private ForwardedHeader() {
    }

    /** Every line's elements, as one list in order (a repeated header is one list, RFC 9110 5.3). */
    static List<String> forNodes(List<String> lines) {
        List<String> hops = new ArrayList<>();
        for (String line : lines) {
            for (String element : splitOutsideQuotes(line, ',')) {  // null: its quote never closed
                hops.add(forNode(element));
            }
        }
        return hops;
    }

    /**
     * {@code text} split at each {@code separator} outside quoted strings (a backslash escapes the
     * next character inside one); the last part is null when its quote never closed.
     */
    private static List<String> splitOutsideQuotes(String text, char separator) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted && c == '\\' && i + 1 < text.length()) {
                current.append(c).append(text.charAt(++i));
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            } else if (c == separator && !quoted) {
                out.add(current.toString());
                current.setLength(0);
                continue;
            }
            current.append(c);
        }
        out.add(quoted ? null : current.toString());
        return out;
    }

    /** The element's {@code for=} address text, or "" (see the class comment). */
    private static String forNode(String element) {
        if (element == null) {
            return "";
        }
        String found = "";
        boolean seen = false;
        for (String pair : pairs(element)) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                return "";  // not token=value: the element is not what a proxy writes
            }
            if (!pair.substring(0, eq).strip().toLowerCase(Locale.ROOT).equals("for")) {
                continue;
            }
            if (seen) {
                return "";  // two for= in one element: which one the proxy wrote is not known
            }
            seen = true;
            found = address(unquote(pair.substring(eq + 1).strip()));
        }
        return found;
    }

    /**
     * The element split at the semicolons outside quoted strings, blank pairs left out (an element
     * given here has its quotes closed: {@link #forNode} stops at one whose quote never closed).
     */
    private static List<String> pairs(String element) {
        List<String> out = new ArrayList<>();
        for (String pair : splitOutsideQuotes(element, ';')) {
            if (pair != null && !pair.isBlank()) {
                out.add(pair);
            }
        }
        return out;
    }

    private static String unquote(String value) {
        if (value.length() < 2 || value.charAt(0) != '"' || value.charAt(value.length() - 1) != '"') {
            return value;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length() - 1) {
                c = value.charAt(++i);
            }
            out.append(c);
        }
        return out.toString();
    }

    /**
     * A node (RFC 7239 6) as an address's text: {@code [v6]} or {@code [v6]:port} without brackets and
     * port, {@code v4} or {@code v4:port} without the port; anything else (an obfuscated name,
     * {@code unknown}, a bare IPv6 that the grammar requires bracketed) as it is, for the walk to refuse.
     */
    private static String address(String node) {
        if (node.startsWith("[")) {
            int close = node.indexOf(']');
            if (close < 0) {
                return "";
            }
            String rest = node.substring(close + 1);
            return rest.isEmpty() || rest.startsWith(":") ? node.substring(1, close) : "";
        }
        if (node.contains("[") || node.contains("]")) {
            return "";
        }
        int colon = node.indexOf(':');
        if (colon >= 0 && node.indexOf(':', colon + 1) >= 0) {
            return "";  // an IPv6 address outside brackets is not a node
        }
        return colon < 0 ? node : node.substring(0, colon);
    }
}
