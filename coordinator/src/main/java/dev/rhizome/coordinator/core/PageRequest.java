package dev.rhizome.coordinator.core;

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

    public static PageRequest first(int limit) {
        return new PageRequest(limit, Optional.empty());
    }

    /**
     * @param list  the list's name, written into its cursors so that one list's cursor is not read as another's
     * @param arity how many parts that list's cursors have
     */
    public static PageRequest parse(String list, int arity, String limit, String after) {
        return new PageRequest(limit(limit), after.isEmpty() ? Optional.empty()
                : Optional.of(Cursor.decode(list, arity, after)));
    }

    static int limit(String text) {
        if (text.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        int limit;
        try {
            limit = text.length() > 9 ? -1 : Integer.parseInt(text);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_LIMIT || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw Rejection.badRequest("query parameter limit must be a whole number from 1 to " + MAX_LIMIT
                    + ", got '" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "'");
        }
        return limit;
    }
}
