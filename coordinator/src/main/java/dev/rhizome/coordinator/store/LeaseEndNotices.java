package dev.rhizome.coordinator.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the other coordinators on one PostgreSQL that settled results ended leases (which frees
 * the lease caps their held claims may wait at, {@link UnitsOpened#leasesEnded}). A result cannot
 * send the notice in its own transaction: PostgreSQL commits notifying transactions one at a time,
 * database-wide, from the notice to the end of the commit's WAL flush, and results commit beside
 * each other. So the notice goes after the result's commit, in a transaction of its own on one
 * connection of its own with {@code synchronous_commit} off (it holds that lock for no flush; a
 * notice lost in a crash costs a held claim its wait, nothing else), and the results that end
 * leases while one is being sent share the next one.
 */
final class LeaseEndNotices implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseEndNotices.class);

    private final String jdbcUrl;
    private final Properties properties;
    private final String schema;
    private final ExecutorService sender;
    /** A notice is due and not yet sent: later results ride on it. */
    private final AtomicBoolean pending = new AtomicBoolean();
    private Connection connection;  // the sender thread's only

    LeaseEndNotices(String jdbcUrl, Properties properties, String schema) {
        this.jdbcUrl = jdbcUrl;
        this.properties = properties;
        this.schema = schema;
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "coordinator-lease-notices");
            t.setDaemon(true);
            return t;
        });
    }

    /** After a commit that ended leases and opened nothing; returns at once. */
    void send() {
        if (pending.compareAndSet(false, true)) {
            try {
                sender.execute(this::sendNow);
            } catch (RejectedExecutionException closed) {
                // the store is closing: nobody waits on it any more
            }
        }
    }

    private void sendNow() {
        pending.set(false);
        try {
            if (connection == null) {
                connection = DriverManager.getConnection(jdbcUrl, properties);
                connection.setAutoCommit(true);
                try (Statement s = connection.createStatement()) {
                    s.execute("SET synchronous_commit = off");
                }
            }
            OpenedUnitsChannel.notify(connection, schema, true);
        } catch (SQLException | RuntimeException e) {
            // Held claims elsewhere then wait out their time, as before this notice existed; the
            // store's own requests tell the operator of an outage.
            LOG.debug("could not tell other coordinators of ended leases: {}", e.toString());
            closeConnection();
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // already broken
            }
            connection = null;
        }
    }

    @Override
    public void close() {
        try {
            sender.execute(this::closeConnection);
        } catch (RejectedExecutionException closedBefore) {
            return;
        }
        sender.shutdown();
    }
}
