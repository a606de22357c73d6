package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.Cursor;
import dev.rhizome.coordinator.core.PageRequest;
import dev.rhizome.coordinator.store.Keyed;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * Turns the rows a store read for a page into the page's items and its {@code next} cursor. The
 * store is asked for one row more than the page holds: that row only tells whether a next page
 * exists, so the last page says so (an empty {@code next}) instead of costing a request that
 * returns nothing.
 *
 * <p>Lists of signed records are also bounded in bytes ({@link #bounded}): a page ends early, with a
 * {@code next}, once it holds {@link #MAX_PAGE_BYTES}, and is read in chunks so that no more than
 * about that is read either. Counting items alone let a page of 1,000 papers (64 KiB each, any key
 * may publish them) or seeds (up to the body limit each) be built in memory as hundreds of MB.
 */
final class Pages {
    private Pages() {
    }

    /**
     * A page's items and its {@code next}; {@code first} and {@code last} are the cursors at its
     * first and last item ("" on an empty page, and from {@link #of}), set on the last page too: the
     * newest entry's cursor is where a later "what is new since" read starts.
     */
    record Page<T>(List<T> items, String next, String first, String last) {
        Page(List<T> items, String next) {
            this(items, next, "", "");
        }
    }

    /** How many rows to read for a page of {@code limit} items. */
    static int rowsFor(int limit) {
        return limit + 1;
    }

    /** Bytes of records on one page, past which the page ends (it always holds at least one). */
    static final int MAX_PAGE_BYTES = PageRequest.MAX_PAGE_BYTES;
    /** Rows read at first; each further read of the same page doubles it, up to {@link #MAX_CHUNK}. */
    static final int FIRST_CHUNK = 64;
    static final int MAX_CHUNK = 512;

    /**
     * The first items, in order, whose bytes together stay within {@code budget} (possibly none):
     * for answers made of several lists that share one bound.
     */
    static <T> List<T> withinBytes(List<T> items, ToIntFunction<T> bytes, long budget) {
        long total = 0;
        for (int i = 0; i < items.size(); i++) {
            total += bytes.applyAsInt(items.get(i));
            if (total > budget) {
                return items.subList(0, i);
            }
        }
        return items;
    }

    /** Reads up to {@code rows} rows after (or, for a list newest first, before) {@code from}. */
    @FunctionalInterface
    interface SeqReader<T> {
        List<Keyed<Long, T>> read(long from, int rows);
    }

    /**
     * A page of at most {@code limit} items and about {@link #MAX_PAGE_BYTES} bytes (as {@code bytes}
     * counts them), read in growing chunks from {@code start}; each chunk continues from the last row
     * taken, and reads one row more than still fits so the page knows whether a next one exists.
     */
    static <T> Page<T> bounded(long start, int limit, SeqReader<T> reader, ToIntFunction<T> bytes,
            Function<Long, Cursor> cursor) {
        List<Keyed<Long, T>> taken = new ArrayList<>();
        long from = start;
        long total = 0;
        int chunk = FIRST_CHUNK;
        while (true) {
            int want = Math.min(chunk, limit - taken.size()) + 1;
            List<Keyed<Long, T>> rows = reader.read(from, want);
            for (Keyed<Long, T> row : rows) {
                if (taken.size() == limit || total >= MAX_PAGE_BYTES) {
                    return page(taken, cursor.apply(taken.get(taken.size() - 1).key()).encode(), cursor);
                }
                taken.add(row);
                total += bytes.applyAsInt(row.value());
            }
            if (rows.size() < want) {
                return page(taken, "", cursor);
            }
            from = taken.get(taken.size() - 1).key();
            chunk = Math.min(MAX_CHUNK, chunk * 2);
        }
    }

    /** Rows of a filtered list looked at for one page at most; past them the page ends, its {@code next} there. */
    static final int MAX_SCANNED = 2000;
    /**
     * Work of looking at rows for one page at most, as the filter counts it (a paper search: bytes
     * times words): about eight of the largest pages' bytes. Rows alone did not bound it: 2,000
     * papers of 64 KiB are 128 MiB to read and search for each word, for one request.
     */
    static final long MAX_SCAN_WORK = 8L * MAX_PAGE_BYTES;
    /** Rows read at a time while filtering: the ones not kept cost reading, not memory. */
    static final int FILTER_CHUNK = 64;

    /**
     * As {@link #bounded}, keeping only the rows {@code keep} accepts: a page of {@code limit}
     * matches, whose {@code next} follows the last match shown. A walk that looked at
     * {@link #MAX_SCANNED} rows, or rows whose {@code work} adds up to {@link #MAX_SCAN_WORK}, for one
     * page stops there, short, with {@code next} after the last row it looked at, so a sparse search
     * costs the coordinator a bounded read and bounded matching per request and still neither skips
     * nor repeats a match. Every page looks at one row at least, so a walk always moves on.
     */
    static <T> Page<T> matching(long start, int limit, SeqReader<T> reader, Predicate<T> keep, ToIntFunction<T> bytes,
            ToLongFunction<T> work, Function<Long, Cursor> cursor) {
        List<Keyed<Long, T>> taken = new ArrayList<>();
        long from = start;
        long total = 0;
        int scanned = 0;
        long worked = 0;
        while (true) {
            List<Keyed<Long, T>> rows = reader.read(from, FILTER_CHUNK);
            for (Keyed<Long, T> row : rows) {
                if (scanned > 0 && (scanned >= MAX_SCANNED || worked >= MAX_SCAN_WORK)) {
                    return page(taken, cursor.apply(from).encode(), cursor);
                }
                scanned++;
                worked += work.applyAsLong(row.value());
                if (!keep.test(row.value())) {
                    from = row.key();
                    continue;
                }
                if (taken.size() == limit || total >= MAX_PAGE_BYTES) {
                    return page(taken, cursor.apply(taken.get(taken.size() - 1).key()).encode(), cursor);
                }
                taken.add(row);
                total += bytes.applyAsInt(row.value());
                from = row.key();
            }
            if (rows.size() < FILTER_CHUNK) {
                return page(taken, "", cursor);
            }
            if (scanned >= MAX_SCANNED || worked >= MAX_SCAN_WORK) {
                // the bound is reached at a chunk's end: the next chunk is not read only to be left
                return page(taken, cursor.apply(from).encode(), cursor);
            }
        }
    }

    private static <T> Page<T> page(List<Keyed<Long, T>> taken, String next, Function<Long, Cursor> cursor) {
        return taken.isEmpty() ? new Page<>(List.of(), next)
                : new Page<>(taken.stream().map(Keyed::value).toList(), next,
                        cursor.apply(taken.get(0).key()).encode(), cursor.apply(taken.get(taken.size() - 1).key()).encode());
    }

    static <K, T> Page<T> of(List<Keyed<K, T>> rows, int limit, Function<K, Cursor> cursor) {
        if (rows.size() <= limit) {
            return new Page<>(rows.stream().map(Keyed::value).toList(), "");
        }
        List<Keyed<K, T>> page = rows.subList(0, limit);
        return new Page<>(page.stream().map(Keyed::value).toList(), cursor.apply(page.get(limit - 1).key()).encode());
    }
}
