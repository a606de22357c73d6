package dev.rhizome.node.work;

import dev.rhizome.node.api.CoordinatorClient;
import dev.rhizome.node.api.CoordinatorException;
import dev.rhizome.node.job.CpuShare;
import dev.rhizome.node.job.MachineBusyException;
import dev.rhizome.node.hardware.GpuSampler;
import dev.rhizome.node.job.JobText;
import dev.rhizome.node.peer.FetchException;
import dev.rhizome.proto.v1.Result;
import dev.rhizome.proto.v1.WorkUnit;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One slot's loop: wait until jobs may start, take the buffered unit or claim one, make sure its
 * lease covers the job, run it; and while it runs, claim and fetch the next unit, so that the
 * slot goes from one job to the next without waiting on the coordinator or on peers.
 */
final class SlotWorker implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(SlotWorker.class);
    private static final Duration GPU_SAMPLE_PERIOD = Duration.ofSeconds(2);
    /**
     * How long before the running job's expected end the next unit is claimed: early enough to
     * fetch it, late enough not to hold a unit for a whole job while other nodes have none.
     */
    static final long PREFETCH_LEAD_MS = 10_000;

    /** What the loop shares with its slots. */
    interface Work {
        /**
         * A unit for this slot, or null when there is none or the unit budget is spent; a unit is
         * given to {@code keep} before its claim leaves the node's journal (a kill in between leaves
         * the claim to be sent again at restart, which gets the same lease back).
         */
        WorkUnit claim(Slot slot, boolean mayExplore, CoordinatorClient.Recorder keep) throws CoordinatorException,
                IOException;

        /** Gets the unit's commit into the repository (the narrow fetch path). */
        void fetch(WorkUnit unit) throws Exception;

        /** Extends the unit's lease; the new deadline. */
        long renew(WorkUnit unit) throws CoordinatorException;

        /**
         * Signs and keeps a result this slot produced; it is delivered once the slot has
         * {@link #released} its unit.
         */
        void report(Slot slot, Result result) throws IOException;

        /**
         * The unit's job was kept off a CPU by other work on this machine until its wall-clock bound
         * ({@link MachineBusyException}): nothing is reported (the unit is then given back,
         * {@link #giveBack}); counted for `node status`.
         */
        default void notRun(Slot slot, WorkUnit unit, long runtimeMs, String reason) {
        }

        /**
         * The slot no longer buffers the unit: its result may be delivered now. Not before: a node
         * killed after the coordinator acknowledged the result (and the outbox let it go) but
         * before the buffer was cleared would resume the unit and sign a second, different result,
         * which the coordinator refuses for good.
         */
        default void released(String unitId) {
        }

        /** Whether a result for this unit waits in the outbox: a unit buffered before a crash that already has one is done. */
        default boolean holdsResultFor(String unitId) {
            return false;
        }

        /**
         * Gives back an EVALUATE unit this slot holds and will not run (its job was kept off a CPU,
         * jobs may not start now): the coordinator opens it to the next claim at once instead of when
         * the lease runs out, and counts no failed attempt. Kept on disk before it returns and sent
         * until the coordinator hears or the lease's deadline passes ({@link GiveBacks}).
         */
        default void giveBack(Slot slot, WorkUnit unit, String reason) {
            giveBack(slot, unit, reason, false);
        }

        /** The same, saying whether its job was starved of a CPU (the coordinator bounds those give-backs). */
        default void giveBack(Slot slot, WorkUnit unit, String reason, boolean starved) {
        }

        /**
         * A slot gave back a unit whose commit it goes on fetching ({@code on}), or that fetch ended:
         * meanwhile every slot's claims name the commit, and the coordinator leases no unit of it to
         * this node (another slot given it would only wait on the same download).
         */
        default void fetchingGivenBack(String commit, boolean on) {
        }

        /** Whether this node is still fetching {@code commit} for a unit it gave back. */
        default boolean fetchingGivenBack(String commit) {
            return false;
        }

        /** Whether a give-back of this unit waits to be heard: a unit buffered before a kill that has one is not run. */
        default boolean givingBack(String unitId) {
            return false;
        }

        /** Does an EXPLORE unit. */
        void explore(WorkUnit unit) throws Exception;

        /** Gives an EXPLORE unit back unexplored, saying why (its base commit could not be fetched). */
        void closeUnexplored(WorkUnit unit, String reason) throws CoordinatorException;

        /** Why jobs may not start now, or empty. */
        Optional<String> gateClosed();

        /**
         * Why this slot may claim no unit now though jobs may start, or empty: this machine kept a job
         * off a CPU lately ({@link BusyBackoff}). A unit it holds still runs.
         */
        default Optional<String> claimHold(Slot slot) {
            return Optional.empty();
        }

        boolean stopping();

        long backoffMs(long current);

        /**
         * Why this thread's last claim got no unit, as the coordinator said it ("no open evaluation
         * this node may run"); empty when it got one, or no answer said why.
         */
        default Optional<String> noWorkReason() {
            return Optional.empty();
        }
    }

    /**
     * The commit this slot is fetching, since when, for which unit; {@code givenBack} once that unit was
     * given back for the fetch's length, the download going on (the slot then holds no unit).
     */
    private record Fetching(String commit, long sinceMs, String unit, boolean givenBack) {
    }

    /** A buffered unit: claimed, and its commit fetched unless that failed. */
    private record Buffered(WorkUnit unit, boolean fetched) {
    }

    static final Duration EXPLORATION_HOLD_MIN = Duration.ofMinutes(1);
    static final Duration EXPLORATION_HOLD_MAX = Duration.ofMinutes(30);

    private final Slot slot;
    private final Evaluator evaluator;
    private final Work work;
    private final boolean mayExplore;
    private final boolean prefetch;
    private final UnitBuffer buffer;
    private final RuntimeEstimates estimates;
    private final ExecutorService prefetcher;
    private final Path logRoot;
    private final Clock clock;

    private final RepeatedLines refusals;
    /** The coordinator's reasons for giving this slot no unit: a slot left idle for an hour said nothing of why. */
    private final RepeatedLines idleReasons;
    /** The last such reason, shown by `node status` while the slot claims again; null once a unit came. */
    private volatile String noWork;
    private volatile String state = "starting";
    private volatile WorkUnit running;
    private volatile long runningSinceMs;
    private volatile long runningExpectedMs;
    private volatile Buffered next;
    /** The fetch this slot is making, for `node status`; null when none. */
    private volatile Fetching fetching;
    /** The lease renewed while this slot fetches or runs an evaluation, for `node status`; null otherwise. */
    private volatile LeaseHeartbeat heldLease;
    /** A unit claimed ahead before a restart, run after the resumed one (only then may this slot claim ahead again). */
    private volatile WorkUnit resumedAhead;
    private volatile long jobsRun;
    private volatile long prefetchedRuns;
    private volatile CountDownLatch jobEnded = new CountDownLatch(0);
    private volatile long longestPrefetchMs;
    /** After an exploration whose base could not be fetched, none is asked for until then. */
    private volatile long exploreAfterMs;
    /** How long the next such hold lasts: doubled by each, from a minute to half an hour; a fetched base resets it. */
    private long explorationHoldMs = EXPLORATION_HOLD_MIN.toMillis();

    SlotWorker(Slot slot, Evaluator evaluator, Work work, boolean mayExplore, boolean prefetch, UnitBuffer buffer,
            RuntimeEstimates estimates, ExecutorService prefetcher, Path logRoot, Clock clock) {
        this.slot = slot;
        this.evaluator = evaluator;
        this.work = work;
        this.mayExplore = mayExplore;
        this.prefetch = prefetch;
        this.buffer = buffer;
        this.estimates = estimates;
        this.prefetcher = prefetcher;
        this.logRoot = logRoot;
        this.clock = clock;
        this.refusals = new RepeatedLines(clock, Duration.ofMinutes(10));
        this.idleReasons = new RepeatedLines(clock, Duration.ofMinutes(30));
        Optional<WorkUnit> resumed = buffer.get(slot.name()).filter(u -> {
            if (work.holdsResultFor(u.getId())) {
                // killed between keeping its result and clearing the buffer: running it again would
                // sign a second, different result, which the coordinator refuses (409) for good
                log.info("{}: unit {} claimed before the restart already has its result in the outbox", slot.name(),
                        u.getId());
                clearQuietly();
                return false;
            }
            if (work.givingBack(u.getId())) {
                // killed between keeping its give-back and clearing the buffer: it is no longer this node's to run
                log.info("{}: unit {} claimed before the restart is being given back", slot.name(), u.getId());
                clearQuietly();
                return false;
            }
            return true;
        });
        Optional<WorkUnit> claimedAhead = buffer.ahead(slot.name())
                .filter(a -> resumed.isEmpty() || !resumed.get().getId().equals(a.getId()))
                .filter(a -> !work.givingBack(a.getId()));
        if (resumed.isPresent()) {
            log.info("{}: resuming unit {} claimed before the restart", slot.name(), resumed.get().getId());
            next = new Buffered(resumed.get(), false);
            claimedAhead.ifPresent(a -> log.info("{}: unit {} claimed ahead before the restart runs after it",
                    slot.name(), a.getId()));
            resumedAhead = claimedAhead.orElse(null);
        } else if (claimedAhead.isPresent()) {
            // its running job had ended (or was never resumed): the unit claimed ahead is next
            WorkUnit a = claimedAhead.get();
            log.info("{}: resuming unit {} claimed ahead before the restart", slot.name(), a.getId());
            promoteQuietly(a);
            next = new Buffered(a, false);
        }
        if (claimedAhead.isEmpty()) {
            aheadClearedQuietly();  // none, or the very unit resumed (killed as it moved)
        }
    }

    private void promoteQuietly(WorkUnit unit) {
        try {
            buffer.promoteAhead(slot.name(), unit);
        } catch (IOException e) {
            log.warn("{}: cannot move the unit claimed ahead into the buffer: {}", slot.name(), e.getMessage());
        }
    }

    private void aheadClearedQuietly() {
        try {
            buffer.clearAhead(slot.name());
        } catch (IOException e) {
            log.warn("{}: cannot clear the unit claimed ahead: {}", slot.name(), e.getMessage());
        }
    }

    Slot slot() {
        return slot;
    }

    private void clearQuietly() {
        try {
            buffer.clear(slot.name());
        } catch (IOException e) {
            log.warn("{}: cannot clear the buffered unit: {}", slot.name(), e.getMessage());
        }
    }

    boolean busy() {
        return running != null;
    }

    @Override
    public void run() {
        long backoff = 0;
        String trouble = null;  // why the coordinator was not asked or did not answer last time
        while (!work.stopping()) {
            try {
                if (backoff > 0) {
                    state = trouble != null ? trouble : noWork != null ? "waiting for work: " + noWork : "waiting for work";
                    Thread.sleep(backoff);
                }
                Optional<String> closed = work.gateClosed();
                if (closed.isPresent()) {
                    state = closed.get();
                    giveBackHeld("jobs may not start on this node now: " + closed.get());
                    Thread.sleep(1000);
                    continue;
                }
                Optional<String> held = next == null && resumedAhead == null ? work.claimHold(slot) : Optional.empty();
                if (held.isPresent()) {
                    state = held.get();
                    Thread.sleep(1000);
                    continue;
                }
                Buffered current = takeNext();
                trouble = null;
                if (current == null) {
                    if (work.stopping()) {
                        break;
                    }
                    tellNoWork();
                    backoff = work.backoffMs(backoff);
                    if (backoff < 0) {
                        break; // the unit budget is spent
                    }
                    continue;
                }
                backoff = 0;
                refusals.reset();
                noWork = null;
                idleReasons.reset();
                WorkUnit taken = current.fetched() ? current.unit() : fetchOrReport(current.unit());
                if (taken == null) {
                    continue;
                }
                WorkUnit covered = leaseCovers(taken);
                if (covered == null) {
                    continue;
                }
                // with the deadline it has now: a give-back's record and every line after name the renewed one
                runOne(new Buffered(covered, current.fetched()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (CoordinatorException e) {
                backoff = Math.max(1000, work.backoffMs(backoff));
                if (e.status() == 0) {
                    // Expected while the coordinator is down or restarting: no trace, and no talk
                    // of a failed unit when no unit may have been claimed at all. The volunteer is
                    // told by the client's ReachabilityLog, at once and then once a minute, rather
                    // than once per retry of every slot.
                    trouble = "waiting for the coordinator: " + e.getMessage();
                    log.debug("{}: {}; trying again in {} s", slot.name(), e.getMessage(), (backoff + 999) / 1000);
                } else {
                    // A banned or over-quota key is refused on every attempt, for hours: the line
                    // once, then once in a while, and the reason in `node status`.
                    trouble = "refused by the coordinator: " + e.getMessage();
                    String line = refusals.show(e.getMessage());
                    if (line != null) {
                        log.error("{}: the coordinator refused a call: {}; a unit held is given up and will be issued again",
                                slot.name(), line);
                    }
                }
            } catch (Exception | Error e) {  // an Error too: it would end this slot's thread, silently
                if (work.stopping()) {
                    // The stop interrupted the unit's setup (a checkout, a file write): that is the
                    // stop, not a failure, and a kill storm's log check counts every ERROR.
                    log.info("{}: stopped in the middle of a unit ({}): one not started yet is given back as the "
                            + "node stops, one whose job had started is left to its lease", slot.name(),
                            JobText.printable(e.toString(), JobText.MAX_MESSAGE_CHARS));
                    break;
                }
                backoff = Math.max(1000, work.backoffMs(backoff));
                // Its messages may name what a job chose (a file of its tree, a line of its output): shown printable.
                log.error("{}: work unit failed; its lease will expire and it will be issued again", slot.name(),
                        JobText.loggable(e));
            }
        }
        state = "stopped";
    }

    /**
     * Fetches the unit's commit; when no peer serves it, the unit is handed back at once rather
     * than left to expire: an EVALUATE unit is reported UNFETCHABLE (the coordinator counts the
     * attempt and reissues or gives the unit up), an EXPLORE unit is closed unexplored (it held one
     * of its direction's few exploration places) and this slot explores nothing for a while, since
     * the next exploration of that direction would start from the same commit. Returns the unit, with
     * its lease's deadline as renewed meanwhile, when the commit is now held; else null.
     */
    private WorkUnit fetchOrReport(WorkUnit unit) throws Exception {
        state = "fetching";
        fetching = new Fetching(unit.getCommit(), clock.millis(), unit.getId(), false);
        try {
            if (unit.getKind() == WorkUnit.Kind.EVALUATE) {
                return fetchWithinBound(unit);
            }
            return fetchOrClose(unit) ? unit : null;
        } finally {
            fetching = null;
        }
    }

    /**
     * Fetches an evaluation's commit with its lease renewed meanwhile ({@link LeaseHeartbeat}), and
     * gives the unit back if the fetch outlasts its bound ({@link LeaseRenewals#fetchGiveUpAtMs}): a
     * large bundle under a low download cap went on fetching past the lease, the unit leased to a node
     * that had not started it while others could have finished it. The unit with the deadline its
     * lease has now, or null when it is no longer this slot's.
     */
    private WorkUnit fetchWithinBound(WorkUnit unit) throws Exception {
        long takenAt = clock.millis();
        long timeoutMs = Math.max(1, unit.getManifest().getTimeoutSeconds()) * 1000L;
        long giveUpAt = LeaseRenewals.fetchGiveUpAtMs(takenAt, timeoutMs);
        FetchException failure = null;
        LeaseHeartbeat beat = LeaseHeartbeat.start(slot.name(), unit, giveUpAt + LeasePlanner.MARGIN_MS, giveUpAt,
                held -> giveUpFetch(held, giveUpAt - takenAt), work::renew, u -> buffer.put(slot.name(), u), clock,
                prefetcher);
        heldLease = beat;
        try {
            work.fetch(unit);
        } catch (FetchException e) {
            failure = e;
        } finally {
            beat.close();  // a give-up ran under its lock: whether it ran is settled from here on
            heldLease = null;
            if (beat.gaveUp()) {
                work.fetchingGivenBack(unit.getCommit(), false);
            }
        }
        if (beat.gaveUp()) {
            work.released(unit.getId());  // given back and cleared from the buffer already
            return null;
        }
        if (failure != null) {
            // handed back either way: a restart must not resume it (the storm caught one run twice,
            // refused the second time)
            try {
                work.report(slot, evaluator.unfetchable(beat.unit(), failure));
                buffer.clear(slot.name());
            } finally {
                work.released(unit.getId());
            }
            return null;
        }
        return beat.unit();
    }

    /** Gives back a unit whose commit is still being fetched after {@code boundMs}; the fetch goes on. */
    private void giveUpFetch(WorkUnit unit, long boundMs) {
        String reason = "its commit " + CommitId.abbreviate(unit.getCommit()) + " was still being fetched after "
                + boundMs / 1000 + " s, as long as its job may run (a low download cap or slow peers): given back "
                + "for a node that can run it sooner; the fetch goes on, and the commit is kept here";
        log.warn("{}: giving back unit {}: {}", slot.name(), unit.getId(), reason);
        // named by every claim before the give-back can open the unit: a slot of this node given it
        // back would only wait on this download
        work.fetchingGivenBack(unit.getCommit(), true);
        Fetching f = fetching;
        if (f != null) {
            fetching = new Fetching(f.commit(), f.sinceMs(), f.unit(), true);
        }
        work.giveBack(slot, unit, reason);
        clearQuietly();
    }

    /**
     * Whether {@code unit} is of a commit this node still fetches for a unit it gave back: a claim
     * already waiting at the coordinator when that give-back opened the unit was given it, naming
     * the commit too late. Such a unit is given back at once, not held to wait on the same download;
     * the next claim names the commit, so it does not come back.
     */
    private boolean givenBackWhileFetched(WorkUnit unit, boolean ahead) throws IOException {
        if (unit.getKind() != WorkUnit.Kind.EVALUATE || !work.fetchingGivenBack(unit.getCommit())) {
            return false;
        }
        String reason = "its commit " + CommitId.abbreviate(unit.getCommit()) + " is still being fetched here for a "
                + "unit given back because the download outlasted its job's limit: given back for a node that can "
                + "run it sooner";
        log.info("{}: giving back unit {} at once: {}", slot.name(), unit.getId(), reason);
        work.giveBack(slot, unit, reason);
        if (ahead) {
            buffer.clearAhead(slot.name());
        } else {
            buffer.clear(slot.name());
        }
        work.released(unit.getId());
        return true;
    }

    /**
     * Fetches an exploration's base; when no peer serves it, the unit is closed unexplored (it held
     * one of its direction's few exploration places) and this slot explores nothing for a while,
     * since the next exploration of that direction would start from the same commit.
     */
    private boolean fetchOrClose(WorkUnit unit) throws Exception {
        try {
            work.fetch(unit);
            explorationHoldMs = EXPLORATION_HOLD_MIN.toMillis();
            return true;
        } catch (FetchException e) {
            Duration hold = Duration.ofMillis(explorationHoldMs);
            explorationHoldMs = Math.min(2 * explorationHoldMs, EXPLORATION_HOLD_MAX.toMillis());
            log.warn("{}: cannot fetch {}, the base of exploration unit {} ({}); giving the unit back unexplored, "
                    + "and exploring nothing for {} s", slot.name(), CommitId.abbreviate(unit.getCommit()), unit.getId(),
                    e.getMessage(), hold.toSeconds());
            exploreAfterMs = clock.millis() + hold.toMillis();
            try {
                work.closeUnexplored(unit, JobText.printable("cannot fetch base commit " + unit.getCommit() + ": "
                        + e.getMessage(), Evaluator.MAX_REASON_CHARS));
            } catch (CoordinatorException refused) {
                if (!refused.isRefusal()) {
                    throw refused;  // kept in the buffer: not given back yet
                }
                // refused: closed already (given back before a kill that came before the buffer was cleared)
            }
            // cleared once the coordinator knows: cleared first, a kill in between left the unit leased
            // to a node that no longer knew of it, until its deadline
            buffer.clear(slot.name());
            return false;
        }
    }

    /**
     * Gives back the units this slot holds but has not started, while jobs may not start (paused,
     * outside its hours): held, each kept its unit from every other node until its lease ran out.
     * The buffer is cleared after the give-back: a kill in between resumes a unit the coordinator
     * may have issued again, whose result it then refuses, where the other order left a unit leased
     * to a node that no longer knew of it.
     */
    private void giveBackHeld(String reason) throws IOException {
        Buffered held = next;
        if (held != null && held.unit().getKind() == WorkUnit.Kind.EVALUATE) {
            // an exploration is kept: the agent's work on it is not lost to a pause
            next = null;
            work.giveBack(slot, held.unit(), reason);
            buffer.clear(slot.name());
            work.released(held.unit().getId());
        }
        WorkUnit heldAhead = resumedAhead;
        if (heldAhead != null) {  // claimed ahead: an evaluation
            resumedAhead = null;
            work.giveBack(slot, heldAhead, reason);
            buffer.clearAhead(slot.name());
            work.released(heldAhead.getId());
        }
    }

    /** The buffered unit, or a freshly claimed one (fetched by the caller); null when there is none. */
    private Buffered takeNext() throws CoordinatorException, IOException {
        Buffered buffered = next;
        if (buffered != null) {
            next = null;
            return buffered;
        }
        WorkUnit heldAhead = resumedAhead;
        if (heldAhead != null) {
            // the unit resumed before it was dropped (unfetchable, its lease lost): the one claimed ahead is next
            resumedAhead = null;
            buffer.promoteAhead(slot.name(), heldAhead);
            return new Buffered(heldAhead, false);
        }
        state = noWork == null ? "claiming" : "claiming (last answer: " + noWork + ")";
        WorkUnit unit = work.claim(slot, mayExplore && clock.millis() >= exploreAfterMs,
                claimed -> buffer.put(slot.name(), claimed));
        return unit == null || givenBackWhileFetched(unit, false) ? null : new Buffered(unit, false);
    }

    /**
     * Says why the coordinator had no unit for this slot: on a new reason at once, the same one again
     * every half hour (a node waits on a quiet network for hours), and in `node status` meanwhile.
     */
    private void tellNoWork() {
        Optional<String> why = work.noWorkReason();
        if (why.isEmpty()) {
            return;
        }
        noWork = why.get();
        String line = idleReasons.show(noWork);
        if (line != null) {
            log.info("{}: no work for this slot yet: {}; claiming again", slot.name(), line);
        }
    }

    /**
     * Renews a lease that would run out during the job; the unit with the deadline it now has (the
     * renewed one, kept in the buffer too), or null when the lease is lost. The unit as claimed kept
     * its first deadline after a renewal: a give-back after the job starved, and its log line, named
     * a deadline long past, and the claim ahead judged the running job's lease by it.
     */
    private WorkUnit leaseCovers(WorkUnit unit) throws IOException {
        long expected = estimates.expectedMs(unit);
        if (!LeasePlanner.needsRenewal(clock.millis(), unit.getLeaseDeadlineMs(), expected)) {
            return unit;
        }
        try {
            long deadline = work.renew(unit);
            log.info("{}: renewed the lease on {} to {}", slot.name(), unit.getId(), Instant.ofEpochMilli(deadline));
            if (deadline == unit.getLeaseDeadlineMs()) {
                return unit;
            }
            WorkUnit renewed = unit.toBuilder().setLeaseDeadlineMs(deadline).build();
            buffer.put(slot.name(), renewed);
            return renewed;
        } catch (CoordinatorException e) {
            if (e.status() == 0 && unit.getLeaseDeadlineMs() > clock.millis()) {
                // Unreachable is not refused: the unit is still this node's, and dropping it leaves it
                // leased to nobody until its deadline (a node restarted while its coordinator was down
                // dropped the unit it resumed: the storm of 2026-12-03).
                log.warn("{}: cannot renew the lease on {} ({}); running it on the lease it holds, until {}",
                        slot.name(), unit.getId(), e.getMessage(), Instant.ofEpochMilli(unit.getLeaseDeadlineMs()));
                return unit;
            }
            log.warn("{}: dropping unit {}: its lease could not be renewed ({})", slot.name(), unit.getId(), e.getMessage());
            buffer.clear(slot.name());
            return null;
        }
    }

    private void runOne(Buffered current) throws Exception {
        WorkUnit unit = current.unit();
        long expected = estimates.expectedMs(unit);
        runningExpectedMs = expected;
        runningSinceMs = clock.millis();
        running = unit;
        state = "running";
        jobEnded = new CountDownLatch(1);
        WorkUnit heldAhead = resumedAhead;
        resumedAhead = null;
        CompletableFuture<Buffered> ahead = heldAhead != null
                ? CompletableFuture.completedFuture(new Buffered(heldAhead, false))
                : prefetch && unit.getKind() == WorkUnit.Kind.EVALUATE
                ? CompletableFuture.supplyAsync(() -> claimAhead(unit), prefetcher)
                : CompletableFuture.completedFuture(null);
        long started = System.nanoTime();
        boolean ran = false;
        // Renewed while the job runs, to its wall-clock bound: a job longer than a fixed lease kept its
        // unit only until the deadline, and another node was given it while this one finished it.
        LeaseHeartbeat beat = unit.getKind() == WorkUnit.Kind.EVALUATE
                ? LeaseHeartbeat.start(slot.name(), unit, LeaseRenewals.holdUntilMs(runningSinceMs,
                        Math.max(1, unit.getManifest().getTimeoutSeconds()) * 1000L), work::renew,
                        u -> buffer.put(slot.name(), u), clock, prefetcher)
                : null;
        heldLease = beat;
        try {
            if (unit.getKind() == WorkUnit.Kind.EVALUATE) {
                try {
                    Result result = evaluate(unit);
                    state = "reporting";
                    work.report(slot, result);
                } catch (InterruptedException e) {
                    beat.close();
                    if (work.stopping()) {
                        // kept as it was: a stop does not wait for a job (it may run for hours)
                        log.info("{}: unit {} was running when the node stopped: its job is stopped, nothing is "
                                + "reported, and the unit is left to its lease (until {}), which then sends it to "
                                + "another node", slot.name(), unit.getId(),
                                Instant.ofEpochMilli(beat.unit().getLeaseDeadlineMs()));
                    }
                    throw e;
                } catch (MachineBusyException e) {
                    long runtimeMs = (System.nanoTime() - started) / 1_000_000;
                    if (unit.getChargeIfStarved()) {
                        // given back starved from three networks already: the coordinator charges the
                        // commit now, and a give-back would be charged to this node as an expired lease
                        work.report(slot, evaluator.starvedTimeout(unit, e.getMessage(), runtimeMs));
                    } else {
                        beat.close();
                        work.notRun(slot, unit, runtimeMs, e.getMessage());
                        work.giveBack(slot, beat.unit(), JobText.printable("its job was kept off a CPU by other work on the "
                                + "machine: " + e.getMessage(), Evaluator.MAX_REASON_CHARS), true);
                    }
                }
            } else {
                work.explore(unit);
            }
            ran = true;
        } finally {
            // Counted before the slot shows no job: `node status` must never show a slot idle with
            // its last job not yet counted (the prefetch below may take seconds).
            if (ran) {
                jobsRun++;
                if (current.fetched()) {
                    prefetchedRuns++;
                }
            }
            if (beat != null) {
                beat.close();  // before the buffer is cleared: a renewal kept after it would resume the unit
                heldLease = null;
            }
            running = null;
            jobEnded.countDown();
            try {
                buffer.clear(slot.name());
            } finally {
                work.released(unit.getId());
            }
            Buffered claimed = awaitQuietly(ahead);
            if (claimed != null) {
                next = claimed;
                buffer.promoteAhead(slot.name(), claimed.unit());
            }
        }
        if (unit.getKind() == WorkUnit.Kind.EVALUATE) {
            estimates.record(unit.getSeed(), (System.nanoTime() - started) / 1_000_000);
        }
    }

    /** Runs the unit's job, with its GPU's memory and utilisation sampled into the result. */
    private Result evaluate(WorkUnit unit) throws Exception {
        GpuSampler.Sampling sampling = slot.gpu().map(g -> GpuSampler.start(g.index(), GPU_SAMPLE_PERIOD)).orElse(null);
        Result result;
        try {
            result = evaluator.evaluate(unit);
        } catch (FetchException e) {
            result = evaluator.unfetchable(unit, e);
        } finally {
            if (sampling != null) {
                sampling.stop();
            }
        }
        if (sampling == null) {
            return result;
        }
        GpuSampler.Usage usage = sampling.stop();
        return result.toBuilder().setGpuPeakMemoryMib(usage.peakMemoryMiB())
                .setGpuMeanUtilizationPercent(usage.meanUtilizationPercent()).setGpuSamples(usage.samples()).build();
    }

    /** Claims and fetches the next unit while the current job runs; null when it should not or cannot. */
    private Buffered claimAhead(WorkUnit current) {
        try {
            long lead = PREFETCH_LEAD_MS + 2 * longestPrefetchMs;
            long waitMs = runningSinceMs + runningExpectedMs - lead - clock.millis();
            if (waitMs > 0 && jobEnded.await(waitMs, TimeUnit.MILLISECONDS)) {
                return null; // the job ended before its time to prefetch: the slot claims as usual
            }
            long began = System.nanoTime();
            long now = clock.millis();
            long leaseMs = Math.max(0, current.getLeaseDeadlineMs() - now) + (now - runningSinceMs);
            if (!LeasePlanner.mayBuffer(now, runningSinceMs, runningExpectedMs, estimates.expectedMs(current), leaseMs)
                    || work.claimHold(slot).isPresent()) {
                return null;
            }
            // kept in the slot's ahead file (the buffer's own file holds the running job's unit) before
            // its claim leaves the journal: a kill from here on leaves it to the next start
            WorkUnit unit = work.claim(slot, false, claimed -> buffer.putAhead(slot.name(), claimed));
            if (unit == null || givenBackWhileFetched(unit, true)) {
                return null;
            }
            CrashPoints.at(CrashPoints.CLAIMED_AHEAD);
            next = new Buffered(unit, false);
            work.fetch(unit);
            longestPrefetchMs = Math.max(longestPrefetchMs, (System.nanoTime() - began) / 1_000_000);
            log.info("{}: prefetched {} for after {}", slot.name(), unit.getId(), current.getId());
            return new Buffered(unit, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            log.warn("{}: could not prefetch the next unit: {}", slot.name(), e.toString());
            Buffered claimed = next;
            return claimed; // claimed but not fetched: fetched again before it runs
        }
    }

    private static Buffered awaitQuietly(CompletableFuture<Buffered> ahead) throws InterruptedException {
        try {
            return ahead.get();
        } catch (ExecutionException e) {
            return null;
        }
    }

    SlotStatus status() {
        WorkUnit unit = running;
        SlotStatus.Job job = null;
        if (unit != null) {
            long elapsed = clock.millis() - runningSinceMs;
            double progress = Math.min(0.99, elapsed / (double) Math.max(1, runningExpectedMs));
            job = new SlotStatus.Job(unit.getId(), unit.getCommit(), unit.getSeed(), unit.getDirection(), runningSinceMs,
                    runningExpectedMs, progress, lastStep(Evaluator.logFile(logRoot, unit.getId())));
        }
        Buffered queued = next;
        SlotStatus.Queued q = queued == null ? null : new SlotStatus.Queued(queued.unit().getId(),
                queued.unit().getCommit(), queued.unit().getLeaseDeadlineMs(), queued.fetched());
        LeaseHeartbeat beat = heldLease;
        // a unit given back for its fetch's length is no longer this slot's: no lease shown for it
        SlotStatus.Lease lease = beat == null || beat.gaveUp() ? null
                : new SlotStatus.Lease(beat.unit().getId(), beat.unit().getLeaseDeadlineMs(), beat.renewals());
        Fetching f = fetching;
        SlotStatus.Fetch fetch = f == null ? null : new SlotStatus.Fetch(f.commit(), f.sinceMs(),
                f.givenBack() ? null : f.unit(), f.givenBack() ? f.unit() : null);
        return new SlotStatus(slot.name(), slot.hardwareClass(), slot.gpu().map(g -> g.index()).orElse(null),
                unit != null ? state : shownState(state, work.gateClosed()), job, q, jobsRun, prefetchedRuns, lease,
                slot.cpus().map(CpuShare::list).orElse(null), fetch);
    }

    /**
     * What a slot with no job is doing as its owner reads it: the loop sets its state only between
     * claims, so a slot paused (or outside its hours) while its claim waited at the coordinator (up
     * to 20 s) or while it backed off read "claiming" or "waiting for work" as if nothing had closed.
     */
    static String shownState(String state, Optional<String> gateClosed) {
        if (gateClosed.isEmpty() || state.equals(gateClosed.get()) || state.equals("stopped")) {
            return state;
        }
        return state.startsWith("claiming") ? gateClosed.get() + " (a claim sent before is still waiting at the "
                + "coordinator; a unit it brings runs)" : gateClosed.get();
    }

    /** The last line starting with "step " in the last 4 KiB of a job's log, or null. */
    static String lastStep(Path logFile) {
        try (RandomAccessFile file = new RandomAccessFile(logFile.toFile(), "r")) {
            long length = file.length();
            int n = (int) Math.min(4096, length);
            byte[] tail = new byte[n];
            file.seek(length - n);
            file.readFully(tail);
            String[] lines = new String(tail, StandardCharsets.UTF_8).split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                if (lines[i].startsWith("step ")) {
                    // shown in the volunteer's terminal by `rhizome node status`: the job's text, made printable
                    return JobText.printable(lines[i].strip(), Evaluator.MAX_STEP_CHARS);
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
