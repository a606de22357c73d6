package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Stall judgement: a running transfer that does not advance {@link StallFloor the floor} within
 * fetchStall has stalled. Once bytes flow, only a step of the floor counts: a peer that trickles a
 * few bytes at a time to dodge the rule is as good as stalled. Time this node itself was not running
 * is excused, within limits (see {@link #starved}).
 */
final class StallClock {
    private final long stallMs;
    private final WantTable wants;
    /** What a fetch must advance per fetchStall: less under this node's own download cap (see {@link StallFloor}). */
    private long minProgressBytes = StallFloor.MIN_PROGRESS_BYTES;

    StallClock(GossipConfig config, WantTable wants) {
        this.stallMs = config.fetchStall().toMillis();
        this.wants = wants;
    }

    long periodMs() {
        return stallMs;
    }

    /** When {@code want}'s running transfer stalls unless it advances. */
    long deadlineMs(Want want) {
        return want.lastProgressMs + stallMs;
    }

    /** This node's downloads are capped at {@code bytesPerSecond} in all (0: none) over {@code sharing} transfers; returns the new floor. */
    long capDownloads(long bytesPerSecond, int sharing) {
        minProgressBytes = StallFloor.minProgressBytes(bytesPerSecond, stallMs, sharing);
        return minProgressBytes;
    }

    /**
     * Progress of the outstanding fetch. Before the first byte (connecting, queued at a busy peer)
     * any report counts; after it, only a step of the floor.
     */
    void progress(PublicId from, String commit, long bytesSoFar, long nowMs) {
        Want want = wants.get(commit);
        if (want == null || !want.runningFrom(from)) {
            return;
        }
        if (want.bytes == 0 && bytesSoFar > 0) {
            // The slow rule's first window starts with the first byte: building the bundle is the stall rule's to judge.
            want.windowMs = nowMs;
            want.windowBytes = 0;
        }
        want.bytes = Math.max(want.bytes, bytesSoFar);
        if (bytesSoFar == 0 || bytesSoFar - want.countedBytes >= minProgressBytes) {
            want.lastProgressMs = nowMs;
            want.excusedMs = 0;
            want.countedBytes = bytesSoFar;
        }
    }

    /**
     * This node was not running for {@code lateMs} up to {@code nowMs}: each outstanding transfer's
     * clocks move on by that much (never past now), as if the time had not passed for it.
     */
    void starved(long lateMs, long nowMs) {
        for (Want want : wants.all()) {
            if (want.current != null) {
                // At most one stall period in all between two steps of progress: a node starved for
                // good still judges a staller, within twice the stall period.
                long shift = Math.min(lateMs, stallMs - want.excusedMs);
                if (shift > 0) {
                    want.excusedMs += shift;
                    want.lastProgressMs = Math.min(nowMs, want.lastProgressMs + shift);
                }
                want.windowMs = Math.min(nowMs, want.windowMs + lateMs);
            }
        }
    }

    /** Outstanding fetches without progress for fetchStall. */
    List<Start> stalled(long nowMs) {
        List<Start> out = new ArrayList<>();
        for (Map.Entry<String, Want> e : wants.entries()) {
            Want want = e.getValue();
            if (want.current != null && nowMs - want.lastProgressMs >= stallMs) {
                out.add(new Start(want.current.peer, e.getKey()));
            }
        }
        return out;
    }
}
