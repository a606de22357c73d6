package dev.rhizome.node.gossip.core;

import dev.rhizome.node.gossip.core.Connections.Link;
import dev.rhizome.protocol.identity.PublicId;
import java.util.List;

/**
 * A linked peer's clock measured again from a NodeInfo it signed itself and sent on a link whose
 * handshake measured it: an announcement of it, or the record of its own at the head of each peer
 * exchange it answers (a keepalive's among them, about once a minute on a quiet link). So a peer
 * whose clock steps while linked is judged by its clock as it is now, not as it was at the
 * handshake. Its date can be any it chose: the measure judges its own records alone, which it
 * could date anew by signing anew.
 */
final class ClockMeasure {
    private ClockMeasure() {
    }

    /**
     * Takes {@code peer}'s clock again from its own record dated {@code timeMs} (its signature
     * checked), on {@code link} if a handshake measured it; a measure newly past the skew is
     * reported once. Returns whether the link was measured again.
     */
    static boolean retake(AnnouncementCheck check, PublicId peer, Link link, long timeMs, long now, List<Effect> out) {
        if (!link.clockMeasured()) {
            return false;
        }
        long aheadMs = check.clockAheadMs(timeMs, now);
        boolean wasPast = check.pastTheSkew(link.clockAheadMs());
        link.clockAheadMs(aheadMs, true);
        if (!wasPast && check.pastTheSkew(aheadMs)) {
            out.add(new Effect.ClockSkew(peer, "its clock stepped while linked: its NodeInfo dated "
                    + Math.abs(aheadMs) + " ms " + (aheadMs > 0 ? "in the future" : "in the past")));
        }
        return true;
    }
}
