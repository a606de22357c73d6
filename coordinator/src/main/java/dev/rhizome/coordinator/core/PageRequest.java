package dev.rhizome.coordinator.core;

import java.util.List;
import java.util.Optional;

/**
 * One page of a list route, as asked for by its query parameters {@code limit} (how many items,
 * {@link #DEFAULT_LIMIT} when absent, at most {@link #MAX_LIMIT}) and {@code after} (the cursor
 * the previous page returned as {@code next}; absent or empty for the first page). Bad values are
 * refused with a 400 naming the parameter rather than clamped, so a client's bug is seen.
 */
public record PageRequest(int limit, Optional<Cursor> after) {
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;
    /**
     * Bytes of signed records on one page of a list of them, past which the page ends early (with
     * a next cursor, and at least one record): {@code limit} bounds items, this bounds memory.
     */
    public static final int MAX_PAGE_BYTES = 4 << 20;

    public static PageRequest first(int limit) {
        return new PageRequest(limit, Optional.empty());
    }

    /**
     * @param list  the list's name, written into its cursors so that one list's cursor is not read as another's
     * @param fields what each part of that list's cursors holds, so that a forged part is refused before any read
     */
    public static PageRequest parse(String list, List<Cursor.Field> fields, String limit, String after) {
        return new PageRequest(limit(limit), after.isEmpty() ? Optional.empty()
                : Optional.of(Cursor.decode(list, fields, after)));
    }

    static int limit(String text) {
        return text.isEmpty() ? DEFAULT_LIMIT : count("limit", text, MAX_LIMIT);
    }

    /** A count given as query parameter {@code name}: a whole number from 1 to {@code max}, else 400. */
    public static int count(String name, String text, int max) {
        int n;
        try {
            n = text.length() > 9 ? -1 : Integer.parseInt(text);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > max || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw Rejection.badRequest("query parameter " + name + " must be a whole number from 1 to " + max
                    + ", got '" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "'"
                    // "?limit=+5" reads as " 5": the echo alone left a user looking for a space never typed
                    + (text.indexOf(' ') >= 0 ? " (a '+' in a query string is a space: send the digits alone)" : ""));
        }
        return n;
    }
}
