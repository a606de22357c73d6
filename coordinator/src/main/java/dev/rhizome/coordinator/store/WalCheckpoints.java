package dev.rhizome.coordinator.store;

import java.util.Properties;

/**
 * Where the SQLite store's write-ahead log is copied into the database file: on the checkpointer's
 * thread every {@code periodMillis} while the store writes (the default, {@link WalCheckpointer}),
 * or, with {@code onCommitter}, by SQLite's own auto-checkpoint inside whichever group commit
 * crosses 1,000 pages of log (the store before round 34).
 *
 * <p>The two system properties exist to measure the one against the other in one build, A B B A
 * (performance.md, the fifteenth pass), not as an operator's setting: durability is the same
 * either way, only who pays for the copy, and when, differs.
 */
record WalCheckpoints(boolean onCommitter, long periodMillis) {
    /** {@code thread} (the default) or {@code commit}. */
    static final String WHERE = "rhizome.sqlite.checkpoint";
    /** The checkpointer's period in milliseconds (default {@value #DEFAULT_PERIOD_MILLIS}). */
    static final String PERIOD = "rhizome.sqlite.checkpoint-period-ms";
    static final long DEFAULT_PERIOD_MILLIS = 200;
    /** SQLite's own threshold, in pages of log, when the committer checkpoints. */
    static final int AUTO_CHECKPOINT_PAGES = 1_000;

    WalCheckpoints {
        if (periodMillis < 1 || periodMillis > 60_000) {
            throw new IllegalArgumentException(PERIOD + " must be 1 to 60000 milliseconds, not " + periodMillis);
        }
    }

    /** The settings {@code properties} name (the JVM's system properties); a value not understood is refused, naming it. */
    static WalCheckpoints from(Properties properties) {
        String where = properties.getProperty(WHERE, "thread");
        boolean onCommitter = switch (where) {
            case "thread" -> false;
            case "commit" -> true;
            default -> throw new IllegalArgumentException(WHERE + " must be 'thread' or 'commit', not '" + where + "'");
        };
        String period = properties.getProperty(PERIOD, Long.toString(DEFAULT_PERIOD_MILLIS));
        long millis;
        try {
            millis = Long.parseLong(period.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PERIOD + " must be a whole number of milliseconds, not '" + period + "'", e);
        }
        return new WalCheckpoints(onCommitter, millis);
    }
}
