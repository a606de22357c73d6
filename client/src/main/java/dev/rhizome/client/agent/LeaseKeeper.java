package dev.rhizome.client.agent;

import dev.rhizome.client.cli.CommandException;
import dev.rhizome.client.cli.ExitCodes;
import dev.rhizome.proto.v1.WorkUnit;
import java.util.function.Consumer;

/**
 * Keeps a round's lease while `rhizome agent` runs the agent command: an EXPLORE lease lasts about
 * twice the seed's job timeout (4.5 minutes for tiny-lm), and a coding agent given the default
 * 30-minute --round-timeout read, edited and committed past it, so the round's submit was refused
 * as {@code lease_expired} and its work went nowhere. The lease is renewed once two thirds of the
 * time since it was last granted have passed (the coordinator allows 100 renewals a lease), so a
 * round that ends, or an agent that dies, holds it no longer than one lease beyond its last renewal.
 * A renewal that fails for a reason that may pass (the coordinator unreachable or busy, a local I/O
 * error) is tried again while the lease lasts; a refusal (expired, given back, not this key's) ends it.
 */
final class LeaseKeeper implements AutoCloseable {
    /** Never sooner than this after a grant, whatever a short lease says: no renewal storm. */
    static final long MIN_WAIT_MS = 5_000;

    private final Research research;
    private final Consumer<String> progress;
    private final Thread thread;
    private volatile WorkUnit unit;

    private LeaseKeeper(Research research, WorkUnit unit, Consumer<String> progress) {
        this.research = research;
        this.unit = unit;
        this.progress = progress;
        this.thread = new Thread(this::keep, "lease-keeper-" + unit.getId());
        thread.setDaemon(true);
    }

    /** Starts keeping {@code unit}'s lease until {@link #close()}. */
    static LeaseKeeper start(Research research, WorkUnit unit, Consumer<String> progress) {
        LeaseKeeper keeper = new LeaseKeeper(research, unit, progress);
        keeper.thread.start();
        return keeper;
    }

    /**
     * When to renew a lease granted at {@code grantedMs} that ends at {@code deadlineMs}: two thirds
     * of the way, leaving a third of the lease for a slow coordinator or a retry.
     */
    static long renewAtMs(long grantedMs, long deadlineMs) {
        return grantedMs + Math.max(MIN_WAIT_MS, (deadlineMs - grantedMs) * 2 / 3);
    }

    /**
     * After a renewal failed with {@code exitCode} at {@code nowMs}: how long to wait before trying
     * again, or -1 to stop (a refusal or a usage error, which no retry changes, or a lease that ends
     * before a retry could help). Every 10 s at most, sooner as the deadline nears.
     */
    static long retryInMs(int exitCode, long nowMs, long deadlineMs) {
        if (exitCode == ExitCodes.REFUSED || exitCode == ExitCodes.USAGE) {
            return -1;
        }
        long left = deadlineMs - nowMs;
        if (left < 2_000) {
            return -1;
        }
        return Math.max(1_000, Math.min(10_000, left / 4));
    }

    /** The unit with the deadline of its latest renewal, as `submit` must check it. */
    WorkUnit unit() {
        return unit;
    }

    private void keep() {
        long granted = System.currentTimeMillis();
        try {
            while (true) {
                long wait = renewAtMs(granted, unit.getLeaseDeadlineMs()) - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                }
                long asked = System.currentTimeMillis();
                long deadline;
                try {
                    deadline = research.renew(unit.getId(), null);
                } catch (CommandException e) {
                    long retry = retryInMs(e.exitCode(), System.currentTimeMillis(), unit.getLeaseDeadlineMs());
                    if (retry < 0) {
                        throw e;
                    }
                    progress.accept("could not renew the lease on unit " + unit.getId() + " (" + e.getMessage()
                            + "): trying again in " + (retry / 1000) + " s");
                    Thread.sleep(retry);
                    continue;  // past its renewal time still: asks again at once
                }
                granted = asked;
                unit = unit.toBuilder().setLeaseDeadlineMs(deadline).build();
                progress.accept("renewed the lease on unit " + unit.getId() + " while the command runs: "
                        + Math.max(0, (deadline - System.currentTimeMillis()) / 1000) + " s left");
            }
        } catch (InterruptedException e) {
            // closed: the round goes on to submit
        } catch (RuntimeException e) {
            // the round's submit says what became of the lease (expired, given back): said here as it happens
            progress.accept("could not renew the lease on unit " + unit.getId() + ": " + e.getMessage());
        }
    }

    @Override
    public void close() throws InterruptedException {
        thread.interrupt();
        thread.join();
    }
}
