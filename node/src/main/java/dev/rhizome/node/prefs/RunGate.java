package dev.rhizome.node.prefs;

import dev.rhizome.node.disk.DiskRoom;
import java.time.Clock;
import java.time.LocalTime;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * Whether a slot may start a job now: not while the volunteer paused the node, outside the run
 * hours, while its disk is full ({@link DiskRoom}), or (in idle-only mode) while the machine is in use. Jobs already running finish; a slot
 * that may not start keeps whatever unit it has buffered and asks again every second.
 */
public final class RunGate {
    private final NodePreferences prefs;
    private final IdleSignals idle;
    private final Clock clock;
    private final IntSupplier runningJobs;
    private final DiskRoom disk;
    /** When the volunteer paused the node ({@code -1}: not known, a kept pause whose file was unreadable); null while not paused. */
    private volatile Long pausedSinceMs;

    public RunGate(NodePreferences prefs, IdleSignals idle, Clock clock, IntSupplier runningJobs,
            DiskRoom disk) {
        this.disk = disk;
        this.prefs = prefs;
        this.idle = idle;
        this.clock = clock;
        this.runningJobs = runningJobs;
    }

    public void pause() {
        pause(clock.millis());
    }

    /** Paused since {@code sinceMs}: now, or a pause kept from before a restart ({@link KeptPause}). */
    public void pause(long sinceMs) {
        pausedSinceMs = sinceMs;
    }

    public void resume() {
        pausedSinceMs = null;
    }

    public boolean paused() {
        return pausedSinceMs != null;
    }

    /** When the volunteer paused the node ({@code -1} where not known); empty while it is not paused. */
    public Optional<Long> pausedSince() {
        return Optional.ofNullable(pausedSinceMs);
    }

    /**
     * {@link #closedBecause()}'s reason in the few stable words a node announces to the coordinator
     * ({@code NodeAnnouncement.not_claiming}): without the seconds since input or the MiB free, which
     * change at every look, and without the data directory's path, which is the volunteer's business.
     */
    public static String announced(String closedBecause) {
        if (closedBecause.equals("paused")) {
            return "paused by its volunteer";
        }
        if (closedBecause.startsWith("outside run-hours")) {
            return closedBecause;
        }
        if (closedBecause.startsWith("disk full")) {
            return "disk full";
        }
        if (closedBecause.startsWith("machine in use")) {
            return "machine in use (it runs jobs only while idle)";
        }
        return "not claiming";
    }

    /** Why no job may start now, or empty when one may. */
    public Optional<String> closedBecause() {
        if (paused()) {
            return Optional.of("paused");
        }
        LocalTime now = LocalTime.now(clock);
        if (!prefs.runHours().allows(now)) {
            return Optional.of("outside run-hours " + prefs.runHours());
        }
        Optional<String> full = disk.shortage();
        if (full.isPresent()) {
            return full;
        }
        if (prefs.idleOnly()) {
            return idle.busy(prefs, runningJobs.getAsInt(), clock.millis()).map(r -> "machine in use: " + r);
        }
        return Optional.empty();
    }
}
