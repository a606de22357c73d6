package dev.rhizome.coordinator.store;

import dev.rhizome.proto.v1.SignedEnvelope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What every part of one JDBC transaction shares: its statements ({@link Queries}), the order
 * and locks of its writes ({@link WriteOrder}), the reads kept across transactions
 * ({@link OwnedReads}) and what it puts into them once committed. One instance per transaction.
 */
final class TransactionScope {
    final Queries queries;
    final WriteOrder order;
    /*
     * Reads shared across transactions where one process owns the database (OwnedReads says
     * when that is). What this transaction wrote is neither taken from there nor put back until
     * it ends: it may still roll back to its savepoint.
     */
    final OwnedReads owned;
    /** What this transaction wrote, put into the shared reads once its group has committed. */
    final List<Runnable> afterCommit = new ArrayList<>();

    TransactionScope(Queries queries, WriteOrder order, OwnedReads owned) {
        this.queries = queries;
        this.order = order;
        this.owned = owned;
    }

    /**
     * A read through {@code shared}: taken from there unless this transaction wrote the key, and
     * put there when read from the database (unless written here, or absent: {@code read} gives null).
     */
    static <K, V> V through(OwnedReads.Keyed<K, V> shared, Set<K> written, K key, Function<K, V> read) {
        if (written.contains(key)) {
            return read.apply(key);
        }
        V hit = shared.get(key);
        if (hit != null) {
            return hit;
        }
        V value = read.apply(key);
        if (value != null) {
            shared.put(key, value);
        }
        return value;
    }

    /** Notes that this transaction wrote {@code key}: the shared read is dropped and not used again here. */
    static <K, V> void wrote(OwnedReads.Keyed<K, V> shared, Set<K> written, K key) {
        shared.remove(key);
        written.add(key);
    }

    /**
     * Adds {@code item} to the end of the list kept under {@code key} (a commit's results, or its
     * network leases), where the list before it is known without a read, instead of reading it
     * back. After the commit the shared list is this transaction's last view of the key, or none:
     * the last writer of a key in a group commit runs last, so its view is the committed one.
     */
    <V> void appendKept(Map<String, List<V>> memo, OwnedReads.Keyed<String, List<V>> shared, Set<String> written,
            String key, V item) {
        List<V> before = memo.containsKey(key) ? memo.get(key) : written.contains(key) ? null : shared.get(key);
        wrote(shared, written, key);
        if (before != null) {
            List<V> after = new ArrayList<>(before);
            after.add(item);
            memo.put(key, List.copyOf(after));
        } else {
            memo.remove(key);
        }
        afterCommit.add(() -> {
            List<V> last = memo.get(key);
            if (last != null) {
                shared.put(key, last);
            } else {
                shared.remove(key);
            }
        });
    }

    /**
     * Whether this transaction opened work: a unit inserted OPEN or leaving its lease
     * ({@link UnitsOpened}); the store tells the held claims once it has committed.
     */
    boolean unitsOpened;
    /** Whether one of those units is OPEN now (inserted or reopened), not only out of its lease. */
    boolean unitsMadeOpen;
    /**
     * Whether what opened is work for claims other than those held at a lease cap: a unit OPEN, or
     * an exploration ended (its direction may be explored again). False where it only ended
     * evaluations' leases (a result): those free lease caps and nothing else.
     */
    boolean workOpened;

    /**
     * Envelopes this transaction stored: on PostgreSQL their count enters the store's counters
     * only as the transaction commits (migration 20), so its own reading of the count adds them.
     */
    int envelopesStored;
    /** Whether this transaction leased a unit (a crash test holds such a commit: {@code CrashPoints}). */
    boolean leasesRecorded;

    /**
     * The envelopes this transaction stored, by id, with their place in the trail: a result's
     * receipt asks for its own ({@link AuditTrail#accepted}), which the insert already answered.
     */
    final Map<String, AuditTrail.Accepted> envelopesAccepted = new HashMap<>();

    /** Stores a signed record's envelope, in key order (see {@link WriteOrder#appendInOrder}); returns its key. */
    long insertEnvelope(SignedEnvelope envelope, String id, long nowMs) {
        order.appendInOrder();
        envelopesStored++;
        long seq = queries.count("INSERT INTO envelopes (id, type, bytes, received_ms) VALUES (?, ?, ?, ?) RETURNING seq",
                id, envelope.getType(), envelope.toByteArray(), nowMs);
        envelopesAccepted.put(id, new AuditTrail.Accepted(seq, nowMs));
        return seq;
    }
}
