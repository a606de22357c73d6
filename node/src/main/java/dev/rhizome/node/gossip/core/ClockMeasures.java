package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.HashMap;
import java.util.Map;

/**
 * How far each linked peer's clock reads ahead of ours, one measure per peer (its proven key), not
 * per link: a peer has one clock, and two links of one peer (a duplicate link, or a new link while
 * the old one is closing) each with its own measure let it have its own records judged by whichever
 * it liked. Taken at each proven handshake and again while linked ({@link ClockMeasure}), moved with
 * each step of our own wall clock, and dropped when the peer is gone (its last link removed) or
 * links with nothing proven behind its hello.
 */
final class ClockMeasures {
    private final Map<PublicId, Long> aheadMs = new HashMap<>();

    /** Whether a proven handshake measured {@code peer}'s clock since it last linked. */
    boolean measured(PublicId peer) {
        return aheadMs.containsKey(peer);
    }

    /** How far {@code peer}'s clock reads ahead of ours; 0 when nothing was measured. */
    long aheadMs(PublicId peer) {
        return aheadMs.getOrDefault(peer, 0L);
    }

    /** {@code peer}'s clock read {@code ahead} ms ahead of ours (negative: behind), from a record of its own it signed. */
    void take(PublicId peer, long ahead) {
        aheadMs.put(peer, ahead);
    }

    void forget(PublicId peer) {
        aheadMs.remove(peer);
    }

    /** Our wall clock moved by {@code movedMs} against the core's: every peer now reads that much further behind ours. */
    void wallClockMoved(long movedMs) {
        aheadMs.replaceAll((peer, ahead) -> ahead - movedMs);
    }

    int size() {
        return aheadMs.size();
    }
}
