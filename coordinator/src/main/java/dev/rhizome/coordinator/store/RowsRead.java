package dev.rhizome.coordinator.store;

import java.util.concurrent.atomic.LongAdder;

/**
 * Rows a store has read since it opened: every row a query returned, and every row an aggregate
 * (a count over a table or a direction) went through to make its one row. It is what a read costs
 * the database whatever the rows hold, so a view whose cost grows with the history shows here
 * (metric {@code rhizome_store_rows_read_total}; {@code ReadCostTest} holds each read route to a
 * bound by it).
 */
public final class RowsRead {
    private final LongAdder rows = new LongAdder();
    private final LongAdder queries = new LongAdder();
    private final LongAdder writes = new LongAdder();

    void add(long n) {
        rows.add(n);
    }

    /** One query ran: on PostgreSQL each is a round trip to the server, whatever rows it returns. */
    void queried() {
        queries.increment();
    }

    /** One statement that changes rows ran: a round trip to PostgreSQL as much as a query is. */
    void wrote() {
        writes.increment();
    }

    public long total() {
        return rows.sum();
    }

    /** Queries run since the store opened (each slice of an {@code IN} list is one). */
    public long queries() {
        return queries.sum();
    }

    /**
     * Statements run since the store opened, queries and writes (a JDBC batch is one, and so are
     * reads sent together, {@code Queries.together}: each is one round trip to PostgreSQL).
     */
    public long statements() {
        return queries.sum() + writes.sum();
    }
}
