package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The slow-holder rule, run every tick. A transfer whose last window
 * ({@link SlowHolders#SLOW_WINDOW_PERIODS} stall periods) advanced less than the slow bar marks its
 * holder slow; a slow holder has one fetch slot, not two. A slow transfer moves to another holder of
 * the same commit not known to be slow, when one is due and has a slot (the slow one goes back to
 * the queue, its tries untouched). And while fetches wait for a slot that a holder not known slow
 * could take, slow transfers keep at most {@link #MAX_SLOW_ACTIVE} slots (one per slow peer): the
 * others go back to their queues, the fewest bytes first. So holders sending just above the stall
 * floor can't hold every slot for hours, and an honest node behind a slow link (every holder slow)
 * keeps its transfers: nothing faster waits.
 */
final class SlowRule {
    /** Slots slow transfers may hold while other fetches wait for one: the rest stay for faster holders. */
    static final int MAX_SLOW_ACTIVE = FetchSlots.MAX_ACTIVE / 2;

    /** A transfer moved off a slow holder, or a slot a slow transfer gave up: {@code stopped} is cancelled, {@code started} begun. */
    record Move(Start stopped, Start started) {
    }

    private final long stallMs;
    private final WantTable wants;
    private final FetchSlots slots;
    private final SlowHolders slow;

    SlowRule(GossipConfig config, WantTable wants, FetchSlots slots, SlowHolders slow) {
        this.stallMs = config.fetchStall().toMillis();
        this.wants = wants;
        this.slots = slots;
        this.slow = slow;
    }

    List<Move> run(long nowMs) {
        long window = SlowHolders.SLOW_WINDOW_PERIODS * stallMs;
        List<Move> moves = new ArrayList<>();
        for (Map.Entry<String, Want> e : wants.entries()) {
            Want want = e.getValue();
            if (want.current == null || nowMs - want.windowMs < window) {
                continue;
            }
            long perPeriod = (want.bytes - want.windowBytes) * stallMs / Math.max(1, nowMs - want.windowMs);
            boolean slowNow = perPeriod < slow.bar(nowMs);
            slow.sawRate(perPeriod, nowMs);
            want.windowMs = nowMs;
            want.windowBytes = want.bytes;
            if (!slowNow) {
                continue;
            }
            slow.ranSlow(want.current.peer, nowMs);
            Want.Holder faster = slots.firstReady(want, nowMs);
            if (faster != null) {
                moves.add(moveOff(want, e.getKey(), faster, nowMs));
            }
        }
        // Slots held by slow transfers past their share, while a fetch a faster holder could serve waits.
        // (The slow ones are counted first: cheap, and most ticks nothing slow runs, so the wants are not scanned.)
        while (!slots.free() && excessSlow(true, nowMs) != null) {
            Map.Entry<String, Want> waiting = waitingForFaster(nowMs);
            Map.Entry<String, Want> excess = waiting == null ? null : excessSlow(waiting.getValue().needed, nowMs);
            if (excess == null) {
                break;
            }
            Want slowWant = excess.getValue();
            Start stopped = new Start(slowWant.current.peer, excess.getKey());
            slots.requeue(slowWant, nowMs);
            Want.Holder h = slots.firstReady(waiting.getValue(), nowMs);
            waiting.getValue().queue.remove(h);
            moves.add(new Move(stopped, slots.begin(waiting.getValue(), h, waiting.getKey(), nowMs)));
        }
        return moves;
    }

    /** {@code from} delivered {@code commit}'s {@code bytes}: the whole transfer's rate counts towards the relative bar. */
    void delivered(PublicId from, String commit, long bytes, long nowMs) {
        Want want = wants.get(commit);
        if (want != null && want.runningFrom(from) && bytes > 0) {
            slow.sawRate(bytes * stallMs / Math.max(1_000, nowMs - want.startedMs), nowMs);
        }
    }

    private Move moveOff(Want want, String commit, Want.Holder faster, long nowMs) {
        Start stopped = new Start(want.current.peer, commit);
        slots.requeue(want, nowMs);
        want.queue.remove(faster);
        return new Move(stopped, slots.begin(want, faster, commit, nowMs));
    }

    /** A want without a transfer, not dormant, that a holder not known slow could start now (needed ones first). */
    private Map.Entry<String, Want> waitingForFaster(long nowMs) {
        Map.Entry<String, Want> found = null;
        for (Map.Entry<String, Want> e : wants.entries()) {
            Want w = e.getValue();
            if (w.current == null && !w.dormant && slots.firstReady(w, nowMs) != null) {
                if (w.needed) {
                    return e;
                }
                if (found == null) {
                    found = e;
                }
            }
        }
        return found;
    }

    /**
     * A slow transfer past the slow share, the one with fewest bytes: of a slow peer running more
     * than its one, or else of all of them when more than {@link #MAX_SLOW_ACTIVE} run. One the
     * node's work needs gives its slot up only to another the work needs.
     */
    private Map.Entry<String, Want> excessSlow(boolean forNeeded, long nowMs) {
        Map<PublicId, Integer> perPeer = new HashMap<>();
        List<Map.Entry<String, Want>> running = new ArrayList<>();
        for (Map.Entry<String, Want> e : wants.entries()) {
            Want w = e.getValue();
            if (w.current != null && slow.isSlow(w.current.peer, nowMs)) {
                running.add(e);
                perPeer.merge(w.current.peer, 1, Integer::sum);
            }
        }
        boolean perPeerExcess = perPeer.values().stream().anyMatch(n -> n > FetchSlots.MAX_ACTIVE_PER_SLOW_PEER);
        if (!perPeerExcess && running.size() <= MAX_SLOW_ACTIVE) {
            return null;
        }
        Map.Entry<String, Want> fewest = null;
        for (Map.Entry<String, Want> e : running) {
            boolean candidate = (!perPeerExcess || perPeer.get(e.getValue().current.peer) > FetchSlots.MAX_ACTIVE_PER_SLOW_PEER)
                    && (forNeeded || !e.getValue().needed);
            if (candidate && (fewest == null || e.getValue().bytes < fewest.getValue().bytes)) {
                fewest = e;
            }
        }
        return fewest;
    }
}
