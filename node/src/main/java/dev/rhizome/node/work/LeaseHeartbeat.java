package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.proto.v1.WorkUnit;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the lease of the unit a slot is fetching or running, as {@link LeaseRenewals} says, on a
 * thread of its own until the slot closes it; and, given a give-up time, gives the unit back then if
 * the slot has not closed it by then (a fetch that outlasts the job's own time limit). A renewal
 * that cannot reach the coordinator is tried again while the lease lasts; one refused ends the
 * renewals (the unit was taken back, withdrawn, or renewed as often as the coordinator allows) and
 * the slot carries on with the lease it holds: the coordinator decides on its result.
 */
final class LeaseHeartbeat implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LeaseHeartbeat.class);

    /** Renews a unit's lease; the new deadline. */
    interface Renewer {
        long renew(WorkUnit unit) throws CoordinatorException;
    }

    /** Keeps a renewed unit where a restart finds it (the slot's buffer). */
    interface Keeper {
        void keep(WorkUnit renewed) throws IOException;
    }

    private final String slotName;
    private final long holdUntilMs;
    private final long giveUpAtMs;
    private final java.util.function.Consumer<WorkUnit> giveUp;
    private final Renewer renewer;
    private final Keeper keeper;
    private final Clock clock;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Object lock = new Object();
    private volatile WorkUnit unit;
    private volatile int renewals;
    private boolean closed;
    private volatile boolean gaveUp;

    private LeaseHeartbeat(String slotName, WorkUnit unit, long holdUntilMs, long giveUpAtMs,
            java.util.function.Consumer<WorkUnit> giveUp, Renewer renewer, Keeper keeper, Clock clock) {
        this.slotName = slotName;
        this.unit = unit;
        this.holdUntilMs = holdUntilMs;
        this.giveUpAtMs = giveUpAtMs;
        this.giveUp = giveUp;
        this.renewer = renewer;
        this.keeper = keeper;
        this.clock = clock;
    }

    /** Starts renewing {@code unit}'s lease until {@code holdUntilMs} or {@link #close}. */
    static LeaseHeartbeat start(String slotName, WorkUnit unit, long holdUntilMs, Renewer renewer, Keeper keeper,
            Clock clock, ExecutorService executor) {
        return start(slotName, unit, holdUntilMs, Long.MAX_VALUE, u -> { }, renewer, keeper, clock, executor);
    }

    /** The same, giving the unit (as renewed) to {@code giveUp} at {@code giveUpAtMs} unless closed before (and renewing no more then). */
    static LeaseHeartbeat start(String slotName, WorkUnit unit, long holdUntilMs, long giveUpAtMs,
            java.util.function.Consumer<WorkUnit> giveUp, Renewer renewer, Keeper keeper, Clock clock, ExecutorService executor) {
        LeaseHeartbeat beat = new LeaseHeartbeat(slotName, unit, holdUntilMs, giveUpAtMs, giveUp, renewer, keeper,
                clock);
        try {
            executor.execute(beat::beat);
        } catch (RejectedExecutionException stopping) {
            // the node stops: nothing is renewed, as a node that stops renews nothing
        }
        return beat;
    }

    /** The unit with the deadline its lease has now. */
    WorkUnit unit() {
        return unit;
    }

    int renewals() {
        return renewals;
    }

    /** Whether the give-up ran: the unit is no longer this slot's to run. */
    boolean gaveUp() {
        return gaveUp;
    }

    private void beat() {
        LeaseRenewals.Step step = LeaseRenewals.first(clock.millis(), unit.getLeaseDeadlineMs(), holdUntilMs);
        try {
            while (true) {
                long wakeAt = Math.min(step.atMs(), giveUpAtMs);
                if (wakeAt == Long.MAX_VALUE) {
                    return;
                }
                // woken at least once a period and the clock read again: it may jump (a machine
                // suspended and woken), and a renewal due meanwhile is then sent at once
                long waitMs = Math.min(LeaseRenewals.MIN_PERIOD_MS, Math.max(0, wakeAt - clock.millis()));
                if (closing.await(waitMs, TimeUnit.MILLISECONDS)) {
                    return;
                }
                if (clock.millis() >= giveUpAtMs) {
                    synchronized (lock) {
                        if (!closed) {
                            gaveUp = true;
                            giveUp.accept(unit);
                        }
                    }
                    return;
                }
                if (clock.millis() < step.atMs()) {
                    continue;
                }
                WorkUnit held = unit;
                try {
                    long deadline = renewer.renew(held);
                    long now = clock.millis();
                    renewals++;
                    synchronized (lock) {
                        if (closed) {
                            return;
                        }
                        if (deadline != held.getLeaseDeadlineMs()) {
                            WorkUnit renewed = held.toBuilder().setLeaseDeadlineMs(deadline).build();
                            unit = renewed;
                            try {
                                keeper.keep(renewed);
                            } catch (IOException e) {
                                // a restart resumes the unit with the deadline it had, and renews it then
                                log.warn("{}: cannot keep the renewed lease on {}: {}", slotName, held.getId(),
                                        e.getMessage());
                            }
                        }
                    }
                    log.debug("{}: renewed the lease on {} to {}", slotName, held.getId(), Instant.ofEpochMilli(deadline));
                    step = LeaseRenewals.next(now, now, deadline, holdUntilMs);
                } catch (CoordinatorException e) {
                    if (e.status() != 0) {
                        log.warn("{}: the coordinator refused to renew the lease on {} ({}); renewing it no more: the "
                                + "slot carries on until {}, and the coordinator decides on a result after that",
                                slotName, held.getId(), e.getMessage(), Instant.ofEpochMilli(held.getLeaseDeadlineMs()));
                        return;
                    }
                    step = LeaseRenewals.retry(clock.millis(), held.getLeaseDeadlineMs());
                    log.debug("{}: cannot renew the lease on {} ({}); trying again", slotName, held.getId(),
                            e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Ends the renewals; none is kept after it returns (the slot clears its buffer next, and a renewal
     * kept after that would resume a finished unit at restart).
     */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        closing.countDown();
    }
}
