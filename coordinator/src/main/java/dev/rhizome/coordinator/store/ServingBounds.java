package dev.rhizome.coordinator.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * How long PostgreSQL keeps what a serving session holds once its coordinator stops talking to it:
 * the coordinator stopped (SIGSTOP, a pause), or cut off from the database while the database
 * still serves the other coordinators (a partition). Its transaction in flight holds the writers'
 * lock (or a settlement's, a claim's key's), and the server would hold it until it noticed the
 * connection gone: for a coordinator that is stopped, never; for a partition, at the TCP
 * keepalive's two hours. Every other coordinator's writes wait for that lock, each answered 503 at
 * its own bound, the whole time.
 *
 * <p>Each bound is the session's, set once per connection, at twice the write bound ({@code
 * timeout}, default 10 s), so it only ever ends what the coordinator has already given up on: a
 * write waits {@code timeout} for any one answer, then closes its connection and answers 503.
 * <ul>
 *   <li>{@code idle_in_transaction_session_timeout}: a session in a transaction that sends nothing
 *       for that long is ended, its transaction rolled back and its locks freed. A coordinator's
 *       transaction sends its statements back to back (no request waits on anything but the
 *       database inside one), so a pause this long is a coordinator stopped or cut off;
 *   <li>{@code statement_timeout}: a statement (a lock wait included) the coordinator stopped
 *       waiting for is not run on, holding its locks, for as long as it takes;
 *   <li>{@code tcp_user_timeout} (PostgreSQL 12+): an answer the coordinator never acknowledges
 *       (a partition during a send, which a cancel cannot interrupt) ends the connection;
 *   <li>{@code client_connection_check_interval} (14+): a statement whose coordinator closed the
 *       connection (it gave up) is cancelled within a second instead of running on.
 * </ul>
 * A view ({@link PostgresStore#inReadTransaction}) raises the statement and idle bounds for its own
 * transaction to twice its {@code read_timeout}: it may rightly run long, and after its snapshot it
 * holds no lock a writer waits for. A session cut this way fails its coordinator's next statement;
 * nothing of its transaction was committed, and the request is answered 503.
 */
final class ServingBounds {
    private ServingBounds() {
    }

    /** The serving connections' driver properties: TCP keepalive on, so a database gone quiet is noticed. */
    static void connection(Properties props) {
        props.setProperty("tcpKeepAlive", "true");
    }

    /** The server's bound on a session whose waits are bounded by {@code waitMs} on the coordinator's side. */
    static int serverMs(int waitMs) {
        return Math.multiplyExact(waitMs, 2);
    }

    /** Sets the session's bounds on a new connection, before its first transaction (autocommit on). */
    static void session(Connection c, int writeMs) throws SQLException {
        int bound = serverMs(writeMs);
        try (Statement s = c.createStatement()) {
            s.execute("SET statement_timeout = " + bound);
            s.execute("SET idle_in_transaction_session_timeout = " + bound);
            optional(s, "SET tcp_user_timeout = " + bound);
            optional(s, "SET client_connection_check_interval = 1000");
        }
    }

    /**
     * The statement that raises a view's bounds for its transaction, as SQL expressions to select
     * (so that the view's first statement, which takes its snapshot, can carry them).
     */
    static String viewBounds(int readMs) {
        int bound = serverMs(readMs);
        return "set_config('statement_timeout', '" + bound + "', true), "
                + "set_config('idle_in_transaction_session_timeout', '" + bound + "', true)";
    }

    /**
     * What bounds a session holding the writers' lock outside any transaction: a view, between
     * taking that lock (a session lock) and its snapshot's statement, which releases it. No
     * transaction is open there, so the idle-in-transaction bound does not reach it, and a
     * coordinator stopped or cut off in that moment held every writer up until the server's TCP
     * keepalive (two hours; never for a stopped process). {@code idle_session_timeout} (PostgreSQL
     * 14+) ends such a session after twice the write bound, freeing the lock; as SQL expressions to
     * select beside the lock's statement (empty before 14: the gap stays there).
     */
    static String idleWithWritersLock(Connection c, int writeMs) throws SQLException {
        return hasIdleSessionBound(c) ? ", set_config('idle_session_timeout', '" + serverMs(writeMs) + "', false)" : "";
    }

    /** Lifts {@link #idleWithWritersLock} once the lock is released: a pooled session rightly waits idle for long. */
    static void endIdleWithWritersLock(Connection c) throws SQLException {
        if (hasIdleSessionBound(c)) {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT set_config('idle_session_timeout', '0', false)");
            }
            c.commit();
        }
    }

    private static boolean hasIdleSessionBound(Connection c) throws SQLException {
        return c.getMetaData().getDatabaseMajorVersion() >= 14;  // the driver's, from the login: no round trip
    }

    private static void optional(Statement s, String set) {
        try {
            s.execute(set);
        } catch (SQLException olderServer) {
            // a server without the setting: the other bounds still hold
        }
    }
}
