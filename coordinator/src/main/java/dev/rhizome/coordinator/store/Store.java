package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import dev.rhizome.proto.v1.Result;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The coordinator's durable state. All reads and writes happen inside {@link #inTransaction}: the
 * work commits when it returns and rolls back when it throws, and a commit is durable on disk
 * before it returns, so whatever the coordinator acknowledges survives a crash.
 */
public interface Store extends AutoCloseable {

    <T> T inTransaction(Work<T> work);

    /**
     * Like {@link #inTransaction}, except that a store shared by several coordinators may run it
     * beside its other writers: it is serialized only with the transactions that name one of the
     * same {@code keys}, until the work calls {@link Transaction#serializeWithWriters}. A claim
     * runs so, keyed by its claimant and its network; whatever else it changes must be safe
     * against writers running at the same time (the store's row locks on the open queue make it
     * so for the unit it leases). The SQLite store has one writer and runs it like any other.
     */
    default <T> T inKeyedTransaction(List<String> keys, Work<T> work) {
        return inTransaction(work);
    }

    /**
     * A transaction that stores a result and settles what it decides. A store shared by several
     * coordinators runs it beside other settling transactions (and apart from every other
     * writer), serialized with them only where they share a lock the work takes with
     * {@link Transaction#lockForSettlement} before it locks or changes anything. The SQLite store
     * has one writer and runs it like any other.
     */
    default <T> T inSettlingTransaction(Work<T> work) {
        return inTransaction(work);
    }

    /**
     * A transaction that only reads: it may run beside the writers, on a snapshot of what was
     * committed when its first read ran, and must not write. The coordinator's views (lists,
     * boards, reports, the dashboard) run in one, so that a long read never holds up claims and
     * results: the SQLite store runs every writing transaction on one thread, and a view of a
     * large history queued there would stall the whole network behind it.
     */
    default <T> T inReadTransaction(Work<T> work) {
        return inTransaction(work);
    }

    /**
     * What keeps the store from taking work now, if anything: a full disk, a database out of reach,
     * a committer that stopped. Reported by {@code /healthz} (503), so a supervisor or load balancer
     * sees what every request meanwhile is told.
     */
    default Optional<String> trouble() {
        return Optional.empty();
    }

    /**
     * Completes, with the failure, when the store will never serve: its database, waited for since
     * the coordinator started, answered at last and refused it for a reason waiting will not cure
     * (a wrong password, a database that does not exist). Never completes for a store already open.
     */
    default CompletionStage<IOException> refusal() {
        return new CompletableFuture<IOException>().minimalCompletionStage();
    }

    /**
     * Runs {@code listener} after each commit whose writes may have made work claimable (a unit
     * opened, a lease ended: {@link UnitsOpened}), on the committing thread, so it must only hand
     * the news on; on a store shared by several coordinators, also when another one's did. A store
     * that never tells (a test's) leaves held claims to wait out their time.
     */
    default void onUnitsOpened(Runnable listener) {
    }

    /**
     * Runs {@code listener} after each commit that ended leases without opening a unit (a result,
     * whose unit is done): the leases its holder's address and network hold went down, which is
     * what a claim refused at a lease cap ({@code core.LeaseCaps}) waits for. As
     * {@link #onUnitsOpened}, on the committing thread, and for the other coordinators' commits
     * on a shared store.
     */
    default void onLeasesEnded(Runnable listener) {
    }

    /**
     * Rows this store has read since it opened, by every transaction of this process (see
     * {@link RowsRead}): metric {@code rhizome_store_rows_read_total}.
     */
    default long rowsRead() {
        return 0;
    }

    /**
     * Queries this store has run since it opened, by every transaction of this process: a view
     * that asks once per item of a page shows here ({@code TrialsPageTest}).
     */
    default long queriesRun() {
        return 0;
    }

    /**
     * Statements this store has run since it opened, queries and writes, commits not counted:
     * on PostgreSQL each is a round trip, so a claim's or a result's count bounds its rate where
     * transactions queue on one lock ({@code SettlementRoundTripsTest}).
     */
    default long statementsRun() {
        return 0;
    }

    /**
     * SQLite's virtual-machine instructions run by this store's read transactions, in thousands
     * (0 where the store is not SQLite): what a view cost the database however few rows it
     * returned (metric {@code rhizome_store_sqlite_read_steps_total}).
     */
    default long readSteps() {
        return 0;
    }

    /**
     * A number every write transaction this process runs moves once it has committed (or failed
     * to: a commit whose outcome is unknown moves it too), before its caller is answered
     * ({@link WriteVersion}): a view built after reading a version holds every write this process
     * acknowledged before it. {@link WriteVersion#NONE} where the store keeps none; then nothing
     * read from it may be shared.
     */
    default long writeVersion() {
        return WriteVersion.NONE;
    }

    /**
     * Whether other processes may write this database too (PostgreSQL: several coordinators),
     * whose writes do not move this process's {@link #writeVersion}.
     */
    default boolean writtenByOthers() {
        return true;
    }

    @Override
    void close();

    @FunctionalInterface
    interface Work<T> {
        T run(Transaction tx);
    }

    /**
     * A result of a direction as its leaderboard reads it: its key, and whether it counts toward
     * its commit's mean (neither late nor found INVALID by its trial).
     */
    record BoardResult(long seq, Result result, boolean counted) {
    }

    /** Where a page of volunteers ends: most credit first, then most valid results, then by key. */
    record CreditKey(long creditMs, int valid, ByteString runner) {
    }

    /** Where a page of adoptions ends: in the order decided (audit count, time), then by direction and commit. */
    record AdoptionKey(long auditCount, long adoptedMs, String direction, String commit) {
    }

    /**
     * Everything a transaction may read and write, one interface per concern, so that a service
     * or helper names what it touches by taking the narrowest ones it uses: one
     * ({@code Quotas tx}), or two or three as a type bound
     * ({@code <T extends Reputations & Results> ... (T tx)}); the whole transaction where a step
     * spans more. Signed records are stored as their envelopes and read back from them.
     *
     * <p>Pages of the lists that grow with history (docs/api.md "Paging") each read at most
     * {@code limit} rows along an index, after the key where the previous page ended (keyset
     * paging), so a page costs the same however long the history is. Keys are sequence numbers in
     * the order rows were committed ({@link WriteOrder}), so rows committed between two pages are
     * neither skipped nor repeated.
     */
    interface Transaction extends Seeds, Directions, Experiments, Results, Units, OpenEvaluations, Reputations,
            Nodes, Papers, AuditTrail, Quotas, Bans, Explorations, Boards, Counts, Candidates, AdoptedPaths,
            Confirmations, OperatorTerms {
        /**
         * The id of the network this store serves, made once when the store was created (or
         * migrated to schema 23) and never changed: every coordinator of the store reads the same.
         */
        String networkId();

        /**
         * From here to its end this transaction runs alone among the store's writers, and what it
         * reads next sees everything they committed; true when that was not so before (a keyed
         * transaction in a shared store), so that the caller reads again what it read before.
         * Called before this transaction locks or changes anything, where it must: before
         * changing state other than its keys' and the unit it leases.
         */
        default boolean serializeWithWriters() {
            return false;
        }

        /**
         * In a transaction of {@link Store#inSettlingTransaction} on a shared store: takes the
         * locks of the directions, the commit and the keys (runners, proposers) it will change,
         * all at once and in one order, and reads again what it read before; true then. False,
         * taking nothing, where the transaction already runs alone among the writers.
         */
        default boolean lockForSettlement(Collection<String> directions, String commit, Collection<ByteString> keys) {
            return false;
        }

        /**
         * {@link #lockForSettlement}, where the result settling reports on {@code unitId}: a store
         * may then read, with the locks and in their round trip, what settlement reads first (the
         * unit, locked, and the commit's experiment, directions and results).
         */
        default boolean lockForSettlement(String unitId, Collection<String> directions, String commit,
                Collection<ByteString> keys) {
            return lockForSettlement(directions, commit, keys);
        }

        /**
         * {@link #lockForSettlement(String, Collection, String, Collection)}, where {@code runner}
         * reports on the unit: the class of its lease ({@link Units#leaseClass}), which binds the
         * result's, may come in the same round trip.
         */
        default boolean lockForSettlement(String unitId, ByteString runner, Collection<String> directions,
                String commit, Collection<ByteString> keys) {
            return lockForSettlement(unitId, directions, commit, keys);
        }

        /**
         * In a keyed transaction (a claim) of a shared store: holds one of the {@code slots}
         * locks of {@code group}, so that at most that many of the group's claims run at once;
         * true then. False, taking nothing, where the store has one writer (whose transactions
         * run one at a time anyway). Taken after the keys' locks and before any row lock.
         */
        default boolean lockOneSlot(String group, int slots) {
            return false;
        }

        /** Like {@link #lockOneSlot}, but holds every one of the group's {@code slots} locks: its claims run one at a time. */
        default void lockEverySlot(String group, int slots) {
        }

        /** Whether {@link #lockForSettlement} would lock: this transaction settles beside others. */
        default boolean settlesBesideOthers() {
            return false;
        }
    }
}
