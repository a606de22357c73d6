package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.Cursor;
import dev.rhizome.coordinator.store.Keyed;
import java.util.List;
import java.util.function.Function;

/**
 * Turns the rows a store read for a page into the page's items and its {@code next} cursor. The
 * store is asked for one row more than the page holds: that row only tells whether a next page
 * exists, so the last page says so (an empty {@code next}) instead of costing a request that
 * returns nothing.
 */
final class Pages {
    private Pages() {
    }

    record Page<T>(List<T> items, String next) {
    }

    /** How many rows to read for a page of {@code limit} items. */
    static int rowsFor(int limit) {
        return limit + 1;
    }

    static <K, T> Page<T> of(List<Keyed<K, T>> rows, int limit, Function<K, Cursor> cursor) {
        if (rows.size() <= limit) {
            return new Page<>(rows.stream().map(Keyed::value).toList(), "");
        }
        List<Keyed<K, T>> page = rows.subList(0, limit);
        return new Page<>(page.stream().map(Keyed::value).toList(), cursor.apply(page.get(limit - 1).key()).encode());
    }
}
