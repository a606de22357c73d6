package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.core.AddressScope;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Connections holding replies their clients have not taken yet, and since when: when a client's
 * share of the reply budget ({@link ByteShares}) is full, a connection of it that holds nothing
 * makes room by letting go the one in reach that has held its replies longest, once that is at
 * least the grace. Without it, one client behind a NAT that asked for pages on many connections and
 * read none had every neighbour behind the same address answered 503 until {@link WriteStall}
 * closed its connections (10 s), and again as soon as it opened new ones: a non-reader denied its
 * address (or network) service for as long as it kept at it. Now it holds the share for the grace
 * at most once a neighbour asks. Pure: the time is passed in; the holders close themselves.
 */
final class ReplyHolders {
    /** A connection holding replies: {@link #letGo} closes it (its replies' bytes go back). */
    interface Holder {
        void letGo();
    }

    private record Held(String scope, long sinceNanos) {
    }

    private final long graceNanos;
    private final Map<Holder, Held> held = new ConcurrentHashMap<>();

    /** @param graceNanos how long a connection keeps its replies however its neighbours ask */
    ReplyHolders(long graceNanos) {
        this.graceNanos = graceNanos;
    }

    /** {@code holder} began to hold replies counted for {@code scope} at {@code nowNanos} (kept if it already did). */
    void holding(Holder holder, String scope, long nowNanos) {
        held.putIfAbsent(holder, new Held(scope, nowNanos));
    }

    /** {@code holder}'s client took all its replies, or it closed. */
    void taken(Holder holder) {
        held.remove(holder);
    }

    /**
     * The holder that has held longest, at least the grace, among those counted where {@code scope}
     * is at {@code bound} (its address, its network, or anyone for the total), taken off the list
     * for the caller to let go; null when none has held that long.
     */
    Holder longestHeld(String scope, ByteShares.Bound bound, long nowNanos) {
        while (true) {
            Holder longest = null;
            long since = 0;
            for (Map.Entry<Holder, Held> e : held.entrySet()) {
                Held h = e.getValue();
                if (nowNanos - h.sinceNanos() >= graceNanos && inReach(scope, bound, h.scope())
                        && (longest == null || h.sinceNanos() - since < 0)) {
                    longest = e.getKey();
                    since = h.sinceNanos();
                }
            }
            if (longest == null || held.remove(longest) != null) {
                return longest;  // removed by this caller: no other asker lets it go for room of its own
            }
        }
    }

    private static boolean inReach(String scope, ByteShares.Bound bound, String holder) {
        return switch (bound) {
            case ADDRESS -> holder.equals(scope);
            case NETWORK -> AddressScope.network(holder).equals(AddressScope.network(scope));
            case TOTAL -> true;
        };
    }

    /** Connections holding replies now. */
    int size() {
        return held.size();
    }
}
