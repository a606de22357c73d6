package dev.rhizome.protocol;

/**
 * Named places between two writes of a process's state, where a crash test kills a real process:
 * one started with {@code -Drhizome.crash-point=NAME} stops at NAME, says so on stderr ("rhizome:
 * at crash point NAME") and waits there to be killed. The moments are microseconds long; no kill
 * from outside lands in them otherwise. Unset (always, outside those tests), each is one comparison.
 */
public final class CrashPoints {
    /** A claim answered with a unit, before the claimant records it (its journal entry still there). */
    public static final String CLAIM_ANSWERED = "claim-answered";
    /** `rhizome claim`'s unit saved (and marked unhanded), before its checkout into the workspace and its print. */
    public static final String CLAIM_KEPT = "claim-kept";
    /**
     * `rhizome claim`'s answer written out whole and flushed, before the unit's unhanded mark is
     * removed: killed here, the next claim resumes or gives back a unit the killed one printed.
     */
    public static final String CLAIM_PRINTED = "claim-printed";
    /**
     * A node's job ended and its result signed and kept in the outbox, before its slot clears the unit
     * from its buffer: killed here, the restart finds the unit buffered and its result waiting.
     */
    public static final String RESULT_KEPT = "result-kept";
    /**
     * A node's result acknowledged and its receipt kept in the receipt book, before the result leaves
     * the outbox: killed here, the restart sends it again and is given the same receipt.
     */
    public static final String RECEIPT_KEPT = "receipt-kept";
    /** A node's unit claimed ahead of its slot's running job and kept in its ahead file, the job still running. */
    public static final String CLAIMED_AHEAD = "claimed-ahead";
    /** {@code rhizome renew}'s renewal answered with the new deadline, before the saved claim is rewritten. */
    public static final String RENEW_ANSWERED = "renew-answered";
    /** A give-back acknowledged by the coordinator, before the claimant forgets the claim. */
    public static final String GIVEN_BACK = "given-back";
    /**
     * A node's give-back of a unit written whole to {@code <data-dir>/give-backs}, before it is sent:
     * killed here, the restart sends it (and does not run the unit).
     */
    public static final String GIVE_BACK_KEPT = "give-back-kept";
    /**
     * A node's give-back acknowledged by the coordinator (200), before its file is deleted: killed
     * here, the restart sends it again and takes the coordinator's "nothing given back" as done.
     */
    public static final String GIVE_BACK_HEARD = "give-back-heard";
    /**
     * A coordinator's settling result moved a direction's frontier and wrote its adopted path, inside
     * that result's transaction, before its commit (on SQLite this holds the committer: nothing else
     * commits until the kill).
     */
    public static final String ADOPTED = "adopted";
    /**
     * A coordinator on PostgreSQL ran a transaction that stores a signed record or leases a unit (a
     * result, a claim), before its commit: each such transaction in flight, on its own connection,
     * stops here, so a kill finds several of them at once, none committed.
     */
    public static final String PG_COMMITTING = "pg-committing";
    /** As {@link #PG_COMMITTING}, after the commit, before its answer leaves: committed, unanswered. */
    public static final String PG_COMMITTED = "pg-committed";
    /**
     * A coordinator's result committed (either store), before its receipt is signed: stored, no
     * receipt made yet; the runner's resend must get one.
     */
    public static final String RESULT_STORED = "result-stored";
    /**
     * A bundle fetched from a peer unpacked, judged and its pack moved into the node's repository,
     * before the refs of its commits are made (its quarantine directory still there).
     */
    public static final String BUNDLE_ADMITTED = "bundle-admitted";
    /**
     * A node's bundle built for a peer that asked for it, before its first byte goes: a pause
     * point ({@link #holdOnce}), where a test SIGSTOPs the node in the middle of serving.
     */
    public static final String BUNDLE_SERVING = "bundle-serving";
    /**
     * A bundle written whole to its temporary file in a node's bundle cache (one built here to serve,
     * or one received from a peer and imported), before its rename into place: killed here, the
     * temporary file is left and nothing is under the bundle's name.
     */
    public static final String BUNDLE_CACHED = "bundle-cached";
    /**
     * A node's janitor deleted the first cached bundle its cap allows it to, before the others:
     * killed here, the cache is half pruned.
     */
    public static final String BUNDLES_PRUNED = "bundles-pruned";
    /**
     * A node's janitor gave held commits up (their refs gone, children before parents), before
     * the repack that drops their objects.
     */
    public static final String REFS_DROPPED = "refs-dropped";
    /**
     * Inside the janitor's repack (JGit's GC, reached through its progress monitor): the new
     * pack's objects written to its temporary file, {@code gc.pid} held, before the pack and its
     * index are renamed into place and the old packs go.
     */
    public static final String REPACK_WRITTEN = "repack-written";
    /**
     * Inside the janitor's repack: the new pack and its index renamed into {@code objects/pack} and
     * that directory forced, before any old pack or loose object is deleted: killed here, the
     * objects are in both, and the next repack deletes the old copies.
     */
    public static final String REPACK_MOVED = "repack-moved";
    /**
     * A coordinator backup's partial file made and locked, before its copy's first byte: killed here,
     * an empty {@code FILE.partial} is left, unlocked.
     */
    public static final String BACKUP_STARTED = "backup-started";
    /**
     * A coordinator backup's copy whole, forced to disk and locked again, before its rename over
     * FILE: killed here, a whole copy is left as {@code FILE.partial}, unlocked, and no FILE.
     */
    public static final String BACKUP_COPIED = "backup-copied";
    /**
     * A pause point ({@link #pause}): a SQLite backup's {@code VACUUM INTO} done, its copy whole in
     * {@code FILE.partial}, whose lock SQLite's close of its own descriptor ended, before the backup
     * locks it again: the one moment a live backup's partial file is unlocked.
     */
    public static final String BACKUP_UNLOCKED = "backup-unlocked";
    /**
     * A pause point ({@link #pause}): a backup's copy whole, forced and locked, before its rename over
     * FILE: a reader of FILE (a restore) meanwhile reads the backup before it.
     */
    public static final String BACKUP_RENAMING = "backup-renaming";
    /**
     * Inside a SQLite coordinator's TRUNCATE checkpoint (its checkpointer thread, when the store
     * is idle or the log past its cap): the checkpoint's locks held (writers wait), the log not yet
     * emptied, SQLite asking its busy handler because a reader stands in the way; what the reader
     * no longer needs may already be copied into the database file by an earlier passive checkpoint.
     */
    public static final String CHECKPOINT_WAITING = "checkpoint-waiting";
    /** A new identity key's temporary file written, before it is linked into place. */
    public static final String KEY_WRITTEN = "key-written";
    /** A new identity key linked into place, before its temporary file is removed. */
    public static final String KEY_LINKED = "key-linked";

    private static final String ARMED = System.getProperty("rhizome.crash-point", "");
    private static final java.util.concurrent.atomic.AtomicBoolean HELD = new java.util.concurrent.atomic.AtomicBoolean();

    private CrashPoints() {
    }

    /**
     * A pause point: the first time this process reaches NAME (armed as a crash point is), it says
     * so on stderr and holds the calling thread up to {@code maxMillis}, long enough for a test to
     * SIGSTOP the whole process in that moment, then goes on (after SIGCONT, the bound long past).
     * Later passes, and every pass when unarmed, go straight through.
     */
    public static void holdOnce(String name, long maxMillis) {
        if (ARMED.isEmpty() || !ARMED.equals(name) || !HELD.compareAndSet(false, true)) {
            return;
        }
        System.err.println("rhizome: at crash point " + name);
        System.err.flush();
        long until = System.currentTimeMillis() + maxMillis;
        for (long left = maxMillis; left > 0; left = until - System.currentTimeMillis()) {
            try {
                Thread.sleep(Math.min(left, 200));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * A pause point a test ends: the first time this process reaches NAME (armed as a crash point is),
     * it says so on stderr ("rhizome: paused at NAME") and holds the calling thread until a line (or
     * the end) comes on its standard input, which the test writes once it has done what it does in
     * that moment; no clock decides. Later passes, and every pass when unarmed, go straight through.
     */
    public static void pause(String name) {
        if (ARMED.isEmpty() || !ARMED.equals(name) || !HELD.compareAndSet(false, true)) {
            return;
        }
        System.err.println("rhizome: paused at " + name);
        System.err.flush();
        try {
            new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                    java.nio.charset.StandardCharsets.UTF_8)).readLine();
        } catch (java.io.IOException e) {
            // a closed input ends the pause as a line does
        }
    }

    /** Whether this process was started to stop at NAME (a test's), so a caller may move NAME's moment somewhere it can be held. */
    public static boolean armed(String name) {
        return !ARMED.isEmpty() && ARMED.equals(name);
    }

    public static void at(String name) {
        if (ARMED.isEmpty() || !ARMED.equals(name)) {
            return;
        }
        System.err.println("rhizome: at crash point " + name);
        System.err.flush();
        Object never = new Object();
        synchronized (never) {
            while (true) {
                try {
                    never.wait();
                } catch (InterruptedException e) {
                    // a crash point is left only by the kill it waits for
                }
            }
        }
    }
}
