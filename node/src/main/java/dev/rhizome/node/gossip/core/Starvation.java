package dev.rhizome.node.gossip.core;

import java.util.ArrayDeque;

/**
 * How long this node itself was not running lately (the driver's probe: {@link PeerProtocol#onStarved}).
 * A stall a transfer's own progress rule reports is excused, as this node's fault and not the
 * holder's, when the node was starved for at least a quarter of a stall period within the
 * transfer rule's reach (three stall periods, the fetch side's idle period): a second's noise now
 * and then under load excuses nothing. Pure, on the core's time; bounded.
 */
final class Starvation {
    private static final int MAX_SPELLS = 64;

    private record Spell(long atMs, long lateMs) {
    }

    private final long stallMs;
    private final ArrayDeque<Spell> spells = new ArrayDeque<>();

    Starvation(long stallMs) {
        this.stallMs = stallMs;
    }

    void starved(long lateMs, long nowMs) {
        if (lateMs <= 0) {
            return;
        }
        spells.addLast(new Spell(nowMs, lateMs));
        if (spells.size() > MAX_SPELLS) {
            spells.removeFirst();
        }
    }

    /** Whether a stall reported now may be this node's own doing. */
    boolean excusesStall(long nowMs) {
        while (!spells.isEmpty() && spells.peekFirst().atMs() < nowMs - 3 * stallMs) {
            spells.removeFirst();
        }
        long late = 0;
        for (Spell s : spells) {
            late += s.lateMs();
        }
        return late >= stallMs / 4;
    }
}
