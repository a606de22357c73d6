package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.FetchPlanner.Start;
import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.List;

/**
 * Who holds what: the claims peers made to hold each wanted commit, as links end and start again,
 * as holders withdraw commits and as peers are banned. Whether a "not found" is a lie turns on them.
 */
final class HolderClaims {
    /**
     * How long a claim made on a link that ended is remembered: a peer that drops its link and links
     * again to end its claims before answering "not found" still answers for them, within the
     * excuses an honest node's prune while unlinked needs (see {@link GoneClaims}).
     */
    static final long LAPSED_CLAIM_MS = 10 * 60_000;

    /** A peer's claim to a commit: on its current link, on a link that ended lately, or none. */
    enum Claim { NONE, LIVE, LAPSED }

    private final WantTable wants;

    HolderClaims(WantTable wants) {
        this.wants = wants;
    }

    /**
     * The link that carried {@code peer}'s announcements closed. Its claims lapse: withdrawals ride
     * on the link, so a commit it gave up while unlinked (more than its next greeting can name) is
     * not a plain lie when asked. They are remembered for {@link #LAPSED_CLAIM_MS} as lapsed, so
     * that dropping the link and linking again is not a free way to end every claim before saying
     * "not found" (see {@link #claimOf}). Its next greeting claims again what it still holds; it stays
     * a holder to ask meanwhile.
     */
    void unclaim(PublicId peer, long nowMs) {
        wants.all().forEach(w -> {
            if (w.claimed.remove(peer)) {
                w.lapsed.put(peer, nowMs);
            }
        });
    }

    /** Whether, and how, {@code peer} claimed to hold {@code commit}: on its current link, on an ended one lately, or not. */
    Claim claimOf(PublicId peer, String commit, long nowMs) {
        Want want = wants.get(commit);
        if (want == null) {
            return Claim.NONE;
        }
        if (want.claimed.contains(peer)) {
            return Claim.LIVE;
        }
        Long endedMs = want.lapsed.get(peer);
        return endedMs != null && nowMs - endedMs <= LAPSED_CLAIM_MS ? Claim.LAPSED : Claim.NONE;
    }

    /**
     * {@code peer} has a new link: the tries it spent while unreachable (down, restarting, cut off)
     * are forgotten, so the claims of its greeting queue it again. A sole holder that was down when
     * its tries ran out would otherwise never be asked again. A rogue buys more tries only with a
     * new handshake each time.
     */
    void relinked(PublicId peer) {
        wants.all().forEach(w -> w.spent.remove(peer));
    }

    /**
     * {@code peer} withdrew {@code commit} (it gave it up): it is not asked for it again, and, unless
     * {@code stillClaimed}, a "not found" from it is no longer a false claim. Returns whether a fetch
     * of it from that peer is in flight (its answer is still awaited).
     */
    boolean withdrawn(PublicId peer, String commit, boolean stillClaimed) {
        Want want = wants.get(commit);
        if (want == null) {
            return false;
        }
        want.queue.removeIf(h -> h.peer.equals(peer));
        want.announcers.remove(peer);
        if (!stillClaimed) {
            want.claimed.remove(peer);
            want.lapsed.remove(peer);
        }
        return want.runningFrom(peer);
    }

    /** Drops a peer from every holder queue (it was banned); returns the fetches it had outstanding. */
    List<Start> forget(PublicId peer) {
        List<Start> outstanding = new ArrayList<>();
        wants.entries().forEach(e -> {
            Want want = e.getValue();
            want.queue.removeIf(h -> h.peer.equals(peer));
            want.announcers.remove(peer);
            want.claimed.remove(peer);
            want.lapsed.remove(peer);
            if (want.runningFrom(peer)) {
                outstanding.add(new Start(peer, e.getKey()));
            }
        });
        return outstanding;
    }
}
