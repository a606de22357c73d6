package dev.rhizome.protocol;

/**
 * Makes a value from outside safe to put in a log line: control characters (CR and LF that would
 * forge lines, NUL that makes the log binary, ESC that drives terminals, and the other C0, DEL and C1
 * characters, plus the Unicode line and paragraph separators and the bidirectional controls that
 * show text in another order than stored) become visible escapes, and anything
 * longer than {@link #MAX_CHARS} is cut with a note of how much was left out.
 */
public final class LogSafe {
    public static final int MAX_CHARS = 200;

    private LogSafe() {
    }

    public static String of(Object value) {
        return of(String.valueOf(value), MAX_CHARS);
    }

    public static String of(String value, int maxChars) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), maxChars) + 16);
        int i = 0;
        for (; i < value.length() && out.length() < maxChars; i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                default -> {
                    // Printable's rule (bidi controls too: a host or name spelled backwards reads as another), pairs kept
                    if (Character.isSurrogate(c) ? !validPair(value, i) : Printable.unsafe(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (i < value.length()) {
            out.append("...(").append(value.length() - i).append(" more chars)");
        }
        return out.toString();
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
