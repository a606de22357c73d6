package dev.rhizome.coordinator.store;

/**
 * The locks a writing transaction of the shared store ({@link PostgresStore}) takes, so that
 * writers behave as if one ran after the other where they touch the same state (see there): the
 * writers' lock, its keys' locks, and the units it reads to change. On the SQLite store, which
 * has one writer, none is taken.
 */
final class WriteOrder {
    private final Queries queries;
    private final boolean shared;
    private final int writersLock;
    /** Run once the writers' lock is taken: what was read before the wait may have changed since. */
    private final Runnable forgetReads;
    private boolean serialized;

    private WriteOrder(Queries queries, boolean shared, int writersLock, Runnable forgetReads) {
        this.queries = queries;
        this.shared = shared;
        this.writersLock = writersLock;
        this.forgetReads = forgetReads;
    }

    /** The SQLite store's: one writer, no locks. */
    static WriteOrder single(Queries queries) {
        return new WriteOrder(queries, false, 0, () -> { });
    }

    /** A writing transaction of the shared store, whose writers' lock has {@code writersLock} as its second key. */
    static WriteOrder shared(Queries queries, int writersLock, Runnable forgetReads) {
        return new WriteOrder(queries, true, writersLock, forgetReads);
    }

    /** Whether this transaction runs beside others on a shared database (and so locks what it reads to change). */
    boolean isShared() {
        return shared;
    }

    /**
     * Makes rows keyed by a sequence (envelopes, units, adoptions) commit in the order of their
     * keys, which keyset paging relies on: a page that ends at key k must never meet a row with a
     * smaller key later. SQLite has one writer, so that holds already. PostgreSQL hands out
     * sequence numbers at insert time to transactions that commit in parallel, so key 100 could
     * commit after key 101 was read and be skipped by every later page; there, a transaction
     * holds the writers' lock before its first such insert until it ends (it is released after
     * the commit is visible), so the next transaction's keys are all larger and committed later.
     * Every writer but a claim holds it from its start; a claim that adds a unit joins it first.
     */
    void appendInOrder() {
        serializeWithWriters();
    }

    /** Takes the writers' lock unless held or not shared; true when taken now. */
    boolean serializeWithWriters() {
        if (!shared || serialized) {
            return false;
        }
        queries.list("SELECT pg_advisory_xact_lock(?, ?)", rs -> Boolean.TRUE, PostgresStore.LOCK_SPACE, writersLock);
        serialized = true;
        forgetReads.run();
        return true;
    }

    /** Takes the transaction-scoped locks of a keyed transaction (PostgreSQL), in the order given. */
    void lockKeys(int[] keys) {
        for (int key : keys) {
            queries.list("SELECT pg_advisory_xact_lock(?, ?)", rs -> Boolean.TRUE, PostgresStore.KEY_SPACE, key);
        }
    }

    /**
     * Appended to a read of units this transaction may change: under the writers' lock a shared
     * store locks them, waiting for a claim that holds one and then reading it as that claim left
     * it. Claims never wait for a row (they skip locked ones, see the claim page).
     */
    String lockingRead(String tables) {
        return serialized ? " FOR UPDATE" + tables : "";
    }
}
