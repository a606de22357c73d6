package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lazy pull of bundles: when to ask whom for a wanted commit, the one fetch outstanding per wanted
 * commit. Its parts each keep one concern: {@link WantTable} what is wanted, {@link HolderClaims}
 * who claimed what, {@link FetchSlots} which transfers run within the limits, {@link StallClock}
 * the stall judgement, {@link SlowRule} and {@link SlowHolders} the slow-holder rule.
 *
 * <p>The first announcer of a commit is asked for it; later announcers are queued as alternatives
 * and only asked when the current fetch fails or stalls. So each bundle is downloaded about once
 * per node, where flooding would download it from every neighbour.
 *
 * <p>At most {@link FetchSlots#MAX_ACTIVE} fetches are outstanding at once, and a fetch's stall
 * clock starts when it is handed out, never while it waits for a slot: a peer that announces
 * hundreds of commits, or a node catching up on a backlog, is not taken for a staller because its
 * fetches queue behind each other. Commits the node's own work needs ({@link #needed}) go first.
 *
 * <p>A holder that declines (busy, unable) is asked again later, at no cost to its score, up to
 * {@link #MAX_ATTEMPTS} times a commit, and then not for that commit again even if it announces it
 * anew on the same link (a new link starts afresh: {@link HolderClaims#relinked}); one that keeps
 * declining rests for a while, for every commit ({@link Declines}).
 */
final class FetchPlanner {
    /** Alternative holders remembered per commit; more add nothing but memory. */
    static final int MAX_HOLDERS = 16;
    /** Tries per holder for failures that may be transient (stall, lost connection). */
    static final int MAX_ATTEMPTS = 3;

    record Start(PublicId from, String commit) {
    }

    private final GossipConfig config;
    private final HeldCommits held;
    private final WantTable wants;
    private final Declines declines = new Declines();
    private final SlowHolders slowHolders = new SlowHolders();
    private final FetchSlots slots = new FetchSlots(declines, slowHolders);
    private final StallClock stallClock;
    private final SlowRule slowRule;

    FetchPlanner(GossipConfig config, HeldCommits held, WantTable wants) {
        this.config = config;
        this.held = held;
        this.wants = wants;
        this.stallClock = new StallClock(config, wants);
        this.slowRule = new SlowRule(config, wants, slots, slowHolders);
    }

    int wanted() {
        return wants.size();
    }

    int active() {
        return slots.active();
    }

    /** The stall judgement of the running transfers. */
    StallClock stallClock() {
        return stallClock;
    }

    /** The slow-holder rule, run every tick. */
    SlowRule slowRule() {
        return slowRule;
    }

    /** {@code holder} says it has {@code commit}; returns the fetch to start, if this is the first holder. */
    Start announced(PublicId holder, String commit, long nowMs) {
        return announced(holder, commit, true, nowMs);
    }

    /**
     * {@code holder} says it has {@code commit}. With {@code fetch} false (the wants filter says no)
     * the holder is only remembered, so the work can fetch from it later; a want already made fetches.
     */
    Start announced(PublicId holder, String commit, boolean fetch, long nowMs) {
        if (held.holds(commit)) {
            return null;
        }
        Want want = wants.get(commit);
        if (want == null) {
            want = wants.open(holder, commit);
            if (want == null) {
                return null;
            }
            want.dormant = !fetch;
        } else if (fetch) {
            want.dormant = false;
        }
        want.touchedMs = nowMs;
        if (want.spent.contains(holder)) {
            return null; // it had its tries for this commit; announcing it again buys no more
        }
        if (want.announcers.size() < 2 * MAX_HOLDERS) {
            want.announcers.add(holder);
            want.claimed.add(holder);
            want.lapsed.remove(holder);
        }
        if (want.knows(holder)) {
            // a holder heard while dormant: the want may just have woken up
            return want.current == null && !want.dormant && slots.free() ? slots.next(want, commit, nowMs) : null;
        }
        if (want.dormant) {
            if (want.queue.size() < MAX_HOLDERS) {
                want.queue.add(new Want.Holder(holder));
            }
            return null;
        }
        if (want.current == null && slots.free() && want.queue.isEmpty() && slots.usable(holder, nowMs)) {
            return slots.begin(want, new Want.Holder(holder), commit, nowMs);
        }
        if (want.queue.size() < MAX_HOLDERS) {
            want.queue.add(new Want.Holder(holder));
        }
        return want.current == null && slots.free() ? slots.next(want, commit, nowMs) : null;
    }

    /**
     * The node's work needs {@code commit}, which {@code holders} are said to hold (hints, unverified
     * until a bundle from them passes its checks). Returns the fetch to start now, if any.
     */
    Start needed(String commit, List<PublicId> holders, long nowMs) {
        if (held.holds(commit)) {
            return null;
        }
        Want want = wants.openForWork(commit);
        want.needed = true;
        want.dormant = false;
        want.touchedMs = nowMs;
        for (PublicId holder : holders) {
            if (!want.knows(holder) && !want.spent.contains(holder) && want.queue.size() < MAX_HOLDERS) {
                want.queue.add(new Want.Holder(holder));
            }
            if (want.announcers.size() < 2 * MAX_HOLDERS) {
                want.announcers.add(holder);
            }
        }
        return want.current == null && slots.free() ? slots.next(want, commit, nowMs) : null;
    }

    /** A needed commit that nobody is left to ask: no fetch outstanding, no holder queued. */
    boolean exhausted(String commit) {
        Want want = wants.get(commit);
        return want != null && want.needed && want.current == null && want.queue.isEmpty();
    }

    /**
     * When the planner next has something to decide: a transfer's stall deadline, or a backed-off
     * holder coming due. A holder already due that waits for a free slot is no deadline: a slot frees
     * on an event (a fetch ends), and counting it would have the driver spin.
     */
    long nextDeadlineMs(long nowMs) {
        long next = Long.MAX_VALUE;
        for (Want want : wants.all()) {
            if (want.current != null) {
                next = Math.min(next, stallClock.deadlineMs(want));
            } else if (!want.dormant) {
                for (Want.Holder h : want.queue) {
                    long due = slots.dueMs(h);
                    if (due > nowMs) {
                        next = Math.min(next, due);
                    }
                }
            }
        }
        return next;
    }

    /** Needed commits that nobody is left to ask. */
    List<String> exhaustedNeeded() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Want> e : wants.entries()) {
            Want want = e.getValue();
            if (want.needed && want.current == null && want.queue.isEmpty()) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** Forgets a want (its waiters were told it is unavailable); a later announcement starts afresh. */
    void drop(String commit) {
        Want want = wants.remove(commit);
        if (want != null && want.current != null) {
            slots.stop(want);
        }
    }

    /** This node's downloads are capped at {@code bytesPerSecond} in all (0: none): the stall and slow rules expect no more. */
    void capDownloads(long bytesPerSecond) {
        long floor = stallClock.capDownloads(bytesPerSecond, FetchSlots.MAX_ACTIVE);
        slowHolders.capDownloads(bytesPerSecond, stallClock.periodMs(), FetchSlots.MAX_ACTIVE, floor);
    }

    /** What a transfer must advance per stall period not to be slow now. */
    long slowBar(long nowMs) {
        return slowHolders.bar(nowMs);
    }

    /** Whether {@code peer} ran a slow transfer lately. */
    boolean isSlow(PublicId peer, long nowMs) {
        return slowHolders.isSlow(peer, nowMs);
    }

    /** {@code peer} was slow ({@link FetchFailure#SLOW}): it counts as slow lately, as a slow transfer's holder does. */
    void ranSlow(PublicId peer, long nowMs) {
        slowHolders.ranSlow(peer, nowMs);
    }

    /**
     * Whether the running transfer of {@code commit} advanced since its last step of progress, under
     * the floor: bytes arrived in its stall window, too few. Its stall is the holder's pace
     * ({@link FetchFailure#SLOW}), not a silence: a holder that sends nothing of it is silent.
     */
    boolean trickling(String commit) {
        Want want = wants.get(commit);
        return want != null && want.current != null && want.bytes > want.countedBytes;
    }

    /** Whether {@code from} is the peer the outstanding fetch of {@code commit} was sent to. */
    boolean isCurrent(PublicId from, String commit) {
        Want want = wants.get(commit);
        return want != null && want.runningFrom(from);
    }

    /** Since when the running transfer of {@code commit} has not advanced (its last step of progress, or its start). */
    long silentSinceMs(String commit) {
        Want want = wants.get(commit);
        return want == null || want.current == null ? Long.MAX_VALUE : want.lastProgressMs;
    }

    /**
     * The commit is now held. Returns who is known to hold it too (no need to announce it to them),
     * and, through {@code cancel}, the outstanding fetch that became pointless.
     */
    Set<PublicId> markHeld(String commit, List<Start> cancel) {
        if (!held.add(commit)) {
            return Set.of();
        }
        Want want = wants.remove(commit);
        if (want == null) {
            return Set.of();
        }
        if (want.current != null) {
            cancel.add(new Start(slots.stop(want).peer, commit));
        }
        return want.announcers;
    }

    /**
     * The outstanding fetch from {@code from} failed. When {@code mayRetry} (a stall or a lost
     * connection may be transient) the holder goes to the back of the queue with a growing delay.
     * Returns the next fetch to start now, if a holder is ready.
     */
    Start failed(PublicId from, String commit, boolean mayRetry, long nowMs) {
        return failed(from, commit, mayRetry, false, false, nowMs);
    }

    /**
     * As {@link #failed(PublicId, String, boolean, long)}; {@code declined} says the holder answered
     * "not now" (busy, unable): retried like a transient failure, and counted towards its rest;
     * {@code late} that it said so after sending most of the bytes asked ({@link LateDecline}): it rests at once.
     */
    Start failed(PublicId from, String commit, boolean mayRetry, boolean declined, boolean late, long nowMs) {
        Want want = wants.get(commit);
        if (want == null || !want.runningFrom(from)) {
            return null;
        }
        Want.Holder failedHolder = slots.stop(want);
        if (declined) {
            declines.declined(from, late, nowMs);
        }
        if (mayRetry || declined) {
            boolean triesUsed = ++failedHolder.attempts >= MAX_ATTEMPTS || declined && declines.declinesAfterRest(from);
            if (!triesUsed) {
                failedHolder.notBeforeMs = nowMs + (config.redialBase().toMillis() << failedHolder.attempts);
                want.queue.addLast(failedHolder);
            } else if (want.spent.size() < 2 * MAX_HOLDERS) {
                want.spent.add(from);
            }
        }
        return slots.free() && !want.dormant ? slots.next(want, commit, nowMs) : null;
    }

    /**
     * {@code peer} stays silent past a retry (see {@link Discipline#stalled}): it rests as a holder
     * that keeps declining does ({@link Declines}), asked for nothing until the rest ends, at no cost.
     */
    void rest(PublicId peer, long nowMs) {
        declines.declined(peer, true, nowMs);
    }

    /** {@code peer} answered BUSY with a hint: it is not asked, for any commit, for that long (bounded; see {@link Declines#busyFor}). */
    void busyFor(PublicId peer, long retryAfterMs, long nowMs) {
        declines.busyFor(peer, retryAfterMs, nowMs);
    }

    /** {@code peer} delivered a bundle: any rest its declines earned ends. */
    void delivered(PublicId peer) {
        declines.delivered(peer);
    }

    /** Whether {@code peer} declined so often lately that it is not asked for now (see {@link Declines}). */
    boolean resting(PublicId peer, long nowMs) {
        return declines.resting(peer, nowMs);
    }

    /**
     * Starts fetches, the needed ones first, for wanted commits whose next holder became ready while
     * a slot is free, and forgets wants nobody can serve any more once their announcements are older
     * than seenTtl.
     */
    List<Start> ready(long nowMs) {
        List<Start> out = new ArrayList<>();
        for (boolean neededPass : new boolean[] {true, false}) {
            for (Map.Entry<String, Want> e : wants.entries()) {
                Want want = e.getValue();
                if (want.current != null || want.needed != neededPass || want.queue.isEmpty() || want.dormant
                        || !slots.free()) {
                    continue;
                }
                Start start = slots.next(want, e.getKey(), nowMs);
                if (start != null) {
                    out.add(start);
                }
            }
        }
        wants.expire(config.seenTtl().toMillis(), nowMs);
        return out;
    }

    /** The holders queued for {@code commit} after the current one, in the order they would be asked. */
    List<PublicId> queued(String commit) {
        Want want = wants.get(commit);
        List<PublicId> out = new ArrayList<>();
        if (want != null) {
            want.queue.forEach(h -> out.add(h.peer));
        }
        return out;
    }

    /** The outstanding fetch's holder, then the queued ones. */
    List<PublicId> holdersOf(String commit) {
        List<PublicId> out = new ArrayList<>();
        Want want = wants.get(commit);
        if (want != null && want.current != null) {
            out.add(want.current.peer);
        }
        out.addAll(queued(commit));
        return out;
    }
}
