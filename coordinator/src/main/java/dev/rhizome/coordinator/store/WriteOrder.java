package dev.rhizome.coordinator.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The locks a writing transaction of the shared store ({@link PostgresStore}) takes, so that
 * writers behave as if one ran after the other where they touch the same state (see there): the
 * writers' lock (alone, or shared among settling results), a claim's keys' locks, a settling
 * result's locks, and the units it reads to change. On the SQLite store, which has one writer,
 * none is taken.
 */
final class WriteOrder {
    /** How this transaction holds the writers' lock. */
    private enum Writers { NONE, SHARED, ALONE }

    private final Queries queries;
    private final boolean shared;
    private final int writersLock;
    /** Run once a lock is taken: what was read before the wait may have changed since. */
    private final Runnable forgetReads;
    private Writers writers = Writers.NONE;
    /**
     * Whether a settling transaction's shared hold on the writers' lock is taken yet: it is sent
     * with the settlement's locks, in their one statement, as nothing before them writes.
     */
    private boolean sharedTaken;
    /** Units read to change are locked: under the writers' lock alone, or a settlement's locks. */
    private boolean locksRows;

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
     * Settling results hold it shared ({@link #settleBesideOthers}) and so append beside each
     * other, their keys committing out of order: a view waits for them instead, taking its
     * snapshot only while no writer holds the lock ({@link PostgresStore#inReadTransaction}), so
     * every key below the largest it sees is committed or was rolled back.
     */
    void appendInOrder() {
        if (writers == Writers.NONE) {
            serializeWithWriters();
        } else if (writers == Writers.SHARED && !sharedTaken) {
            queries.list("SELECT pg_advisory_xact_lock_shared(?, ?)", rs -> Boolean.TRUE, PostgresStore.LOCK_SPACE,
                    writersLock);
            sharedTaken = true;
        }
    }

    /** Takes the writers' lock alone unless held or not shared; true when taken now. */
    boolean serializeWithWriters() {
        if (!shared || writers == Writers.ALONE) {
            return false;
        }
        if (writers == Writers.SHARED) {
            // an upgrade would wait for every other settling result, which may wait for this one
            throw new IllegalStateException("a settling transaction cannot take the writers' lock alone");
        }
        queries.list("SELECT pg_advisory_xact_lock(?, ?)", rs -> Boolean.TRUE, PostgresStore.LOCK_SPACE, writersLock);
        writers = Writers.ALONE;
        locksRows = true;
        forgetReads.run();
        return true;
    }

    /**
     * Holds the writers' lock shared, beside other settling results and apart from every other
     * writer; no row is locked until {@link #lockForSettlement} has taken the settlement's locks.
     * The shared hold is taken in {@link #lockForSettlement}'s statement, ahead of the others, one
     * round trip fewer a result: what runs before it only reads, each statement from a fresh
     * snapshot, and is read again once the locks are held. An append before it takes it alone
     * ({@link #appendInOrder}).
     */
    void settleBesideOthers() {
        if (!shared || writers != Writers.NONE) {
            throw new IllegalStateException("settling beside others is for a fresh transaction of a shared store");
        }
        writers = Writers.SHARED;
    }

    /** Whether this transaction settles beside others and so must take {@link #lockForSettlement}'s locks. */
    boolean settlesBesideOthers() {
        return writers == Writers.SHARED;
    }

    /**
     * Takes a settlement's locks (single-key advisory locks, apart from the two-key ones) all at
     * once, in ascending order: every settling transaction takes its whole set in that one order
     * and waits for no other lock before, so none waits on another in a cycle. Then rows are
     * locked as under the writers' lock, and what was read before is read again: {@code thenRead},
     * sent with the locks' statement in one round trip ({@link Queries#together}) and run once
     * they are held, gives back its rows (after what was read before is forgotten, so the caller
     * keeps them).
     */
    List<List<?>> lockForSettlement(long[] ascendingKeys, List<Queries.Read<?>> thenRead) {
        if (writers != Writers.SHARED || locksRows) {
            throw new IllegalStateException("a settlement's locks are taken once, after the writers' lock shared");
        }
        List<Queries.Read<?>> reads = new ArrayList<>();
        if (sharedTaken) {
            reads.add(new Queries.Read<>("SELECT pg_advisory_xact_lock(k) FROM unnest(?::bigint[]) WITH ORDINALITY AS t(k, i) "
                    + "ORDER BY i", rs -> Boolean.TRUE, (Object) ascendingKeys));
        } else {
            // The shared hold first (row 1, whose key is a placeholder), then the keys in order: a
            // volatile call in the select list is evaluated after the sort, row by row.
            long[] withShared = new long[ascendingKeys.length + 1];
            System.arraycopy(ascendingKeys, 0, withShared, 1, ascendingKeys.length);
            reads.add(new Queries.Read<>("SELECT CASE WHEN i = 1 THEN pg_advisory_xact_lock_shared(?, ?) "
                    + "ELSE pg_advisory_xact_lock(k) END FROM unnest(?::bigint[]) WITH ORDINALITY AS t(k, i) ORDER BY i",
                    rs -> Boolean.TRUE, PostgresStore.LOCK_SPACE, writersLock, (Object) withShared));
        }
        reads.addAll(thenRead);
        List<List<?>> rows = queries.together(reads);
        sharedTaken = true;
        locksRows = true;
        forgetReads.run();
        return rows.subList(1, rows.size());
    }

    /**
     * Takes the transaction-scoped locks of a keyed transaction (PostgreSQL), in the order given:
     * sent with the transaction's next statement (one round trip fewer a claim), which runs once
     * they are held ({@link Queries#ahead}).
     */
    void lockKeys(int[] keys) {
        if (keys.length == 1) {
            queries.ahead("SELECT pg_advisory_xact_lock(?, ?)", PostgresStore.KEY_SPACE, keys[0]);
        } else if (keys.length > 1) {
            // one round trip for all (a claim's key and network are two); taken in the order given,
            // a volatile call in the select list being evaluated after the sort, row by row
            queries.ahead("SELECT pg_advisory_xact_lock(?, k) FROM unnest(?::int[]) WITH ORDINALITY AS t(k, i) ORDER BY i",
                    PostgresStore.KEY_SPACE, (Object) keys);
        }
    }

    /**
     * Takes one of the {@code slots} locks of a group of claims (a network's, {@code
     * service.Dispatcher}): the first free now, tried from a random one in one statement that
     * waits for none; when all are held, waits for that one. False where the store has one
     * writer (and takes no lock).
     */
    boolean lockOneSlot(String group, int slots) {
        if (!shared) {
            return false;
        }
        int[] keys = slotKeys(group, slots);
        int start = ThreadLocalRandom.current().nextInt(slots);
        int[] rotated = new int[slots];
        for (int i = 0; i < slots; i++) {
            rotated[i] = keys[(start + i) % slots];
        }
        List<Integer> taken = queries.list("SELECT k FROM unnest(?::int[]) AS t(k) "
                + "WHERE pg_try_advisory_xact_lock(?, k) LIMIT 1", rs -> rs.getInt(1), (Object) rotated,
                PostgresStore.KEY_SPACE);
        if (taken.isEmpty()) {
            lockKeys(new int[] {rotated[0]});
        }
        return true;
    }

    /**
     * Takes every one of a group's slot locks, in ascending order of their keys: a claim holding
     * one slot waits for nothing more, and those taking all take them in one order, so none
     * waits on another in a cycle. Nothing where the store has one writer.
     */
    void lockEverySlot(String group, int slots) {
        if (shared) {
            lockKeys(Arrays.stream(slotKeys(group, slots)).sorted().distinct().toArray());
        }
    }

    /** The second keys of a group's slot locks: the schema's (through its writers' lock key), the group's, the slot's. */
    private int[] slotKeys(String group, int slots) {
        int[] keys = new int[slots];
        for (int i = 0; i < slots; i++) {
            keys[i] = ("claim slot " + writersLock + " " + group + " " + i).hashCode();
        }
        return keys;
    }

    /**
     * Appended to a read of units this transaction may change: under the writers' lock a shared
     * store locks them, waiting for a claim that holds one and then reading it as that claim left
     * it. Claims never wait for a row (they skip locked ones, see the claim page).
     */
    String lockingRead(String tables) {
        return locksRows ? " FOR UPDATE" + tables : "";
    }
}
