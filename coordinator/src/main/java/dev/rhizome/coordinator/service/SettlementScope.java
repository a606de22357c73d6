package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.core.Trials;
import dev.rhizome.coordinator.core.UnitRecord;
import dev.rhizome.coordinator.store.SettlementReach;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.coordinator.store.StoreException;
import dev.rhizome.proto.v1.Result;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What storing a result and settling it ({@link ResultIntake}, {@link Settlement}) may change,
 * named so that a store where results settle beside each other locks it first: the commit (its
 * trial's results, states and units, and its abandonment), the directions whose frontier,
 * baseline or adoptions can move (the unit's, the commit's experiment's, and every direction
 * whose frontier is the commit), and the keys whose reputation can change (the runners of the
 * commit's results and this one's). Proposers' records are not in it: settlement only adds to
 * them, by increments that depend on no read ({@link ProposerOutcomes}), and decides nothing from
 * them.
 */
final class SettlementScope {
    record Locks(Set<String> directions, String commit, Set<ByteString> keys) {
        boolean covers(Locks other) {
            return commit.equals(other.commit) && directions.containsAll(other.directions) && keys.containsAll(other.keys);
        }
    }

    private SettlementScope() {
    }

    /**
     * Takes the locks of what settling {@code result} may change, where the store settles
     * results beside each other; nothing elsewhere. The set is read before the locks are held, so
     * it is read again after: what only a settlement holding one of these locks could have
     * changed meanwhile (a frontier moved onto the commit, another runner's result on it) shows
     * there, and the transaction is run again with the larger set.
     */
    static void lock(Store.Transaction tx, Result result) {
        lock(tx, result, reach(tx, result));
    }

    /**
     * What settling {@code result} may reach, read before the locks, where the store settles
     * results beside each other (null elsewhere). The store reads with it, in its round trip, the
     * results of the commit the result names, so a look there before the locks costs nothing more.
     */
    static SettlementReach reach(Store.Transaction tx, Result result) {
        return tx.settlesBesideOthers() ? tx.settlementReach(result.getWorkUnitId(), result.getCommit()) : null;
    }

    /** {@link #lock(Store.Transaction, Result)} with the set {@link #reach} read (null: nothing to lock). */
    static void lock(Store.Transaction tx, Result result, SettlementReach reach) {
        if (reach == null) {
            return;
        }
        Locks wanted = reached(reach, result);
        tx.lockForSettlement(result.getWorkUnitId(), result.getRunner(), wanted.directions(), wanted.commit(), wanted.keys());
        Locks now = of(tx, result);
        if (!wanted.covers(now)) {
            throw StoreException.raced("what settling a result on " + wanted.commit() + " changes grew while it waited");
        }
    }

    /**
     * The locks named from what the store says {@code result} reaches, in one statement: the same
     * set as {@link #of}, which reads it a piece at a time and keeps what it read under the locks
     * for the rest of the settlement; before the locks nothing read is kept, so one round trip does.
     */
    static Locks reached(SettlementReach reach, Result result) {
        Set<String> directions = new TreeSet<>(reach.directions());
        directions.add(result.getDirection());
        Set<ByteString> keys = new HashSet<>(reach.runners());
        keys.add(result.getRunner());
        keys.remove(ByteString.EMPTY);
        return new Locks(directions, reach.commit(), keys);
    }

    static Locks of(Store.Transaction tx, Result result) {
        Optional<UnitRecord> unit = tx.unit(result.getWorkUnitId());
        String commit = unit.map(UnitRecord::commit).orElse(result.getCommit());
        Set<String> directions = new TreeSet<>();
        directions.add(result.getDirection());
        unit.ifPresent(u -> directions.add(u.direction()));
        tx.experiment(commit).ifPresent(e -> directions.add(e.record().getDirection()));
        for (DirectionRecord d : Settlement.directionsWithFrontier(tx, commit)) {
            directions.add(d.name());
        }
        Set<ByteString> keys = new HashSet<>();
        keys.add(result.getRunner());
        for (Trials.Entry e : tx.resultEntries(commit)) {
            keys.add(e.result().getRunner());
        }
        keys.remove(ByteString.EMPTY);
        return new Locks(directions, commit, keys);
    }
}
