package dev.rhizome.client.cli;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalInt;

/**
 * The line of a JSON text on which a key stands, so that a config file's refused value can name its
 * line ("line 7") as an editor shows it. Gson's tree keeps no positions, so this walks the text
 * itself: strings (with their escapes), objects and arrays, nothing more; text it cannot follow
 * gives no line rather than a wrong one.
 */
public final class JsonKeyLines {
    private JsonKeyLines() {
    }

    /**
     * The 1-based line of {@code dottedKey} ({@code port}, {@code daily_write_limits.papers.per_key}:
     * object keys from the top, arrays passed through), or empty when the text has no such key.
     */
    public static OptionalInt lineOf(String text, String dottedKey) {
        // one frame per open object or array: an object's key being read, or null inside an array
        Deque<String[]> frames = new ArrayDeque<>();
        boolean expectKey = false;
        int line = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> line++;
                case '{' -> {
                    frames.push(new String[] {""});
                    expectKey = true;
                }
                case '[' -> {
                    frames.push(new String[] {null});
                    expectKey = false;
                }
                case '}', ']' -> {
                    if (frames.isEmpty()) {
                        return OptionalInt.empty();
                    }
                    frames.pop();
                    expectKey = false;
                }
                case ',' -> expectKey = !frames.isEmpty() && frames.peek()[0] != null;
                case ':' -> expectKey = false;
                case '"' -> {
                    StringBuilder word = new StringBuilder();
                    int j = i + 1;
                    for (; j < text.length() && text.charAt(j) != '"'; j++) {
                        char d = text.charAt(j);
                        if (d == '\\' && j + 1 < text.length()) {
                            d = text.charAt(++j);  // \" and \\ are all a key of a config file escapes
                        } else if (d == '\n') {
                            return OptionalInt.empty();  // not JSON: no line to trust
                        }
                        word.append(d);
                    }
                    if (j >= text.length()) {
                        return OptionalInt.empty();
                    }
                    if (expectKey && !frames.isEmpty()) {
                        frames.peek()[0] = word.toString();
                        if (path(frames).equals(dottedKey)) {
                            return OptionalInt.of(line);
                        }
                    }
                    i = j;
                }
                default -> {
                    // numbers, literals and spaces carry no key
                }
            }
        }
        return OptionalInt.empty();
    }

    /** The keys of the open objects, outermost first, joined by dots. */
    private static String path(Deque<String[]> frames) {
        StringBuilder path = new StringBuilder();
        var it = frames.descendingIterator();
        while (it.hasNext()) {
            String key = it.next()[0];
            if (key == null) {
                continue;
            }
            if (!path.isEmpty()) {
                path.append('.');
            }
            path.append(key);
        }
        return path.toString();
    }
}
