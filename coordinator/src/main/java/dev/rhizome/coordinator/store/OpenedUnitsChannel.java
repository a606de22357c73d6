package dev.rhizome.coordinator.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries "work may have opened" between coordinators sharing one PostgreSQL: a commit that
 * opened units sends {@code NOTIFY} on its schema's channel (inside its transaction, so it is
 * delivered only if it commits), and each process listens on one connection of its own, one
 * thread, whatever the number of claims it holds: a held claim costs no statement while it waits.
 * A notice missed while the listening connection was down is made up for by telling the
 * listeners once it listens again.
 */
final class OpenedUnitsChannel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpenedUnitsChannel.class);
    /** How long one wait for notices blocks: bounds how late a close is seen. */
    private static final int POLL_MS = 1000;
    private static final long LONGEST_RETRY_MS = 30_000;

    private final String jdbcUrl;
    private final Properties properties;
    private final String channel;
    private final UnitsOpened listeners;
    private final Thread thread;
    private volatile boolean closed;

    OpenedUnitsChannel(String jdbcUrl, Properties properties, String schema, UnitsOpened listeners) {
        this.jdbcUrl = jdbcUrl;
        this.properties = properties;
        this.channel = channel(schema);
        this.listeners = listeners;
        this.thread = new Thread(this::listen, "coordinator-opened-units");
        thread.setDaemon(true);
        thread.start();
    }

    /** The channel of a schema: stores in other schemas of one database do not wake each other. */
    static String channel(String schema) {
        return "rhizome_units_" + Integer.toHexString(schema.hashCode());
    }

    /** The payload of a notice that leases ended and no unit opened ({@link UnitsOpened#leasesEnded}). */
    static final String LEASES_ENDED = "leases";

    /**
     * Sends the notice in the transaction of {@code c}: delivered to every listener when it
     * commits; {@code leasesOnly} where the transaction only ended leases.
     */
    static void notify(Connection c, String schema, boolean leasesOnly) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_notify('" + channel(schema) + "', '" + (leasesOnly ? LEASES_ENDED : "") + "')");
        }
    }

    private void listen() {
        long retryMs = 1000;
        boolean listenedBefore = false;
        while (!closed) {
            try (Connection c = DriverManager.getConnection(jdbcUrl, properties)) {
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + channel);
                }
                retryMs = 1000;
                if (listenedBefore) {
                    listeners.fire();  // whatever opened while nobody listened
                }
                listenedBefore = true;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] notices = pg.getNotifications(POLL_MS);
                    if (notices != null && notices.length > 0) {
                        boolean work = false;
                        for (PGNotification notice : notices) {
                            work |= !LEASES_ENDED.equals(notice.getParameter());
                        }
                        if (work) {
                            listeners.fire();
                        } else {
                            listeners.leasesEnded();
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                // The store's outage reporting tells the operator; held claims meanwhile wait out their time.
                LOG.debug("not listening for opened units ({}); trying again in {} s", e.toString(), retryMs / 1000);
                try {
                    Thread.sleep(retryMs);
                } catch (InterruptedException interrupted) {
                    return;
                }
                retryMs = Math.min(LONGEST_RETRY_MS, retryMs * 2);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
