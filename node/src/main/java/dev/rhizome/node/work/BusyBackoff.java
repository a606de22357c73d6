package dev.rhizome.node.work;

import java.util.Locale;
import java.util.Optional;

/**
 * How many CPU jobs this node runs at once, and whether it claims at all, after a job was kept off
 * a CPU to its wall-clock bound ({@code MachineBusyException}): each such job costs the network a
 * unit's time (the unit is given back, but only once its job reached that bound), so a node that
 * kept claiming on a machine its owner keeps busy cost that again and again. Pure: it decides from the times and
 * load readings it is given ({@link MachineLoad}), so it is tested with given readings.
 *
 * <p>A starved job halves the CPU jobs allowed (down to one) and stops every claim until the load
 * leaves a core for a job: a job's wall-clock bound is twice its limit, so half a core would see
 * it through, but the load is a rough measure (MachineLoad), so a whole core is asked.
 * One more job is then allowed for each {@link #RAISE_AFTER_MS} that the load leaves a core for it
 * too (or every core, where the volunteer allowed more jobs than cores), up to the volunteer's
 * number. Where the load cannot be read it waits {@link #UNREAD_HOLD_MS} instead of each reading.
 *
 * <p>A GPU slot has one of its own ({@link #forGpuSlot}, one job): its job wants a CPU too (the
 * process that feeds the GPU), and starved of one it used to claim again at once and lose the next
 * unit the same way. The CPU slots' back-off leaves it alone, as its job does not run on their
 * share of the cores.
 */
final class BusyBackoff {
    static final long RAISE_AFTER_MS = 60_000;
    static final long UNREAD_HOLD_MS = 5 * 60_000;

    /**
     * What `node status` shows while the node backs off: {@code allowed} of the volunteer's
     * {@code cpuJobs} at once, whether it claims now, since when it backs off, what it waits for
     * and the starved job's reason that began it. {@code resource}: whose jobs back off, "cpu" for
     * the CPU slots' (their {@code cpuJobs} the volunteer's number) or a GPU slot's name ("gpu0",
     * one job). Its job starved of a CPU either way: the GPU is not what is busy.
     */
    record Status(int cpuJobs, int allowed, boolean claiming, long sinceMs, String waitingFor, String reason,
                  String resource) {
    }

    private final int cpuJobs;
    /** "cpu", or the GPU slot's name: {@link Status#resource}. */
    private final String resource;
    /** What its jobs are called in its lines: "CPU job", or "job on gpu0". */
    private final String job;
    private final String jobs;
    private int allowed;
    private boolean waiting;
    private long sinceMs;
    /** When {@code allowed} or {@code waiting} last changed: a raise waits a while after it. */
    private long changedMs;
    private String reason;
    private String waitingFor;

    BusyBackoff(int cpuJobs) {
        this(cpuJobs, "cpu", "CPU job", "CPU jobs");
    }

    private BusyBackoff(int cpuJobs, String resource, String job, String jobs) {
        this.cpuJobs = cpuJobs;
        this.resource = resource;
        this.allowed = cpuJobs;
        this.job = job;
        this.jobs = jobs;
    }

    /** The back-off of one GPU slot, named {@code slot} in its lines: it runs one job at a time. */
    static BusyBackoff forGpuSlot(String slot) {
        return new BusyBackoff(1, slot, "job on " + slot, "jobs on " + slot);
    }

    private String jobs(int n) {
        return n == 1 ? job : jobs;
    }

    /** A job was kept off a CPU ({@code why}, its reason); the line to log. */
    synchronized String starved(long nowMs, String why) {
        if (!backingOff()) {
            sinceMs = nowMs;
        }
        allowed = Math.max(1, allowed / 2);
        waiting = true;
        changedMs = nowMs;
        reason = why;
        waitingFor = "a reading of this machine's load";
        return String.format(Locale.ROOT, "a job was kept off a CPU: no unit is claimed until this machine's load "
                + "leaves a core for a job, and then %d %s at once (of %d) until it leaves one for more",
                allowed, jobs(allowed), cpuJobs);
    }

    /**
     * Judges a reading ({@code ownJobs}: this node's CPU jobs running now, which the load counts);
     * the line to log when it changes what may run, else null.
     */
    synchronized String read(long nowMs, Optional<MachineLoad> load, int ownJobs) {
        if (!backingOff()) {
            return null;
        }
        boolean due;
        double free = 0;
        if (load.isEmpty()) {
            due = nowMs - changedMs >= UNREAD_HOLD_MS;
            waitingFor = String.format(Locale.ROOT, "%d s (this machine's load cannot be read)",
                    Math.max(0, (changedMs + UNREAD_HOLD_MS - nowMs + 999) / 1000));
        } else {
            MachineLoad l = load.get();
            double others = Math.max(0, l.tasks() - ownJobs);
            free = l.cores() - others;
            int wanted = waiting ? 1 : Math.min(allowed + 1, l.cores());
            // Every core free is never read where the node itself runs (its own threads keep a little
            // load), so where all cores are wanted half a core of others' load is let pass: without it
            // a one-core machine never claimed again after a starved job.
            double room = Math.min(wanted, l.cores() - 0.5);
            due = free >= room && (waiting || nowMs - changedMs >= RAISE_AFTER_MS);
            waitingFor = String.format(Locale.ROOT, "the load to leave %d core%s for this node's jobs: "
                    + "%.2f tasks besides them want a CPU (the last minute's load, or the tasks running now if more), "
                    + "on %d cores", wanted, wanted == 1 ? "" : "s",
                    others, l.cores());
        }
        if (!due) {
            return null;
        }
        changedMs = nowMs;
        if (waiting) {
            waiting = false;
        } else {
            allowed++;
        }
        String read = load.isEmpty() ? "its load unread" : String.format(Locale.ROOT, "%.1f cores free", free);
        if (!backingOff()) {
            reason = null;
            waitingFor = null;
            return String.format(Locale.ROOT, "this machine has room again (%s): %d %s at once, as set",
                    read, allowed, jobs(allowed));
        }
        return String.format(Locale.ROOT, "this machine has room for more (%s): claiming again, %d %s at once "
                + "(of %d)", read, allowed, jobs(allowed), cpuJobs);
    }

    /** Why the CPU slot of index {@code cpuIndex} (0 for the first) claims nothing now, or empty. */
    synchronized Optional<String> hold(int cpuIndex) {
        if (waiting) {
            return Optional.of("not claiming (a job was kept off a CPU): waiting for " + waitingFor);
        }
        if (cpuIndex >= allowed) {
            return Optional.of(String.format(Locale.ROOT, "not claiming: %d of %d %s at once on this busy "
                    + "machine, waiting for %s", allowed, cpuJobs, jobs, waitingFor));
        }
        return Optional.empty();
    }

    /** Empty while the node runs the jobs it was set to. */
    synchronized Optional<Status> status() {
        return backingOff() ? Optional.of(new Status(cpuJobs, allowed, !waiting, sinceMs, waitingFor, reason,
                resource))
                : Optional.empty();
    }

    private boolean backingOff() {
        return waiting || allowed < cpuJobs;
    }
}
