package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The bytes this node gives to keeping neighbours' commits (the wants filter's keeper duty, see
 * {@link Keepers}): a duty is taken only while the budget has room, so a linked peer naming this
 * node keeper of any number of large commits it made itself cannot fill the volunteer's disk.
 * Declining costs nothing on the wire: the node just does not fetch, and the maker names another
 * keeper once its {@link Keepers#WAIT_MS} passes.
 *
 * <p>A bundle's size is known only once fetched, so a duty taken reserves {@code reserveBytes}
 * (the largest bundle a fetch accepts) until its bundle arrives and its real size replaces the
 * reservation, or until {@link #PENDING_MS} passes (the maker has named another keeper by then).
 *
 * <p>A budget shared first come, first served would let one rogue fill it and starve honest
 * makers of this keeper; a quota per maker is weak against identities made by the thousand. So
 * the budget is shared max-min among the makers linked now: when it is full, a duty from a maker
 * is taken by evicting, oldest first, what is kept for makers no longer linked (identities a rogue
 * cycles through end up there), then what is kept for the maker keeping the most, while that
 * maker holds more than an equal share of the linked makers' and the asker holds less. A rogue
 * holding k of a node's n links keeps at most about k/n of the budget once honest makers ask.
 * An evicted commit is no longer kept (the repository may prune it); the core tells its maker
 * (an Inventory's {@code released}), which then names another keeper. Pure, on the core's virtual time.
 */
final class KeepBudget {
    /** A duty whose bundle has not arrived this long after it was taken is void: the maker named another. */
    static final long PENDING_MS = 2 * Keepers.WAIT_MS;
    /** Duties held at most, whatever their size: the core's memory stays bounded with tiny bundles too. */
    static final int MAX_DUTIES = 65_536;

    private static final class Duty {
        final PublicId maker;
        final long sinceMs;
        long bytes;
        boolean fetched;

        Duty(PublicId maker, long sinceMs, long bytes) {
            this.maker = maker;
            this.sinceMs = sinceMs;
            this.bytes = bytes;
        }
    }

    private final long budgetBytes;
    private final long reserveBytes;
    /** Duties by commit, the oldest taken first. */
    private final LinkedHashMap<String, Duty> duties = new LinkedHashMap<>();
    private long used;
    private long declined;
    private long evicted;

    /**
     * @param budgetBytes  bytes of kept bundles (and reservations) at most
     * @param reserveBytes bytes reserved per duty until its bundle arrives: the largest bundle accepted
     */
    KeepBudget(long budgetBytes, long reserveBytes) {
        if (budgetBytes < 0 || reserveBytes < 1) {
            throw new IllegalArgumentException("need budgetBytes >= 0 and reserveBytes > 0, got " + budgetBytes
                    + " and " + reserveBytes);
        }
        this.budgetBytes = budgetBytes;
        this.reserveBytes = reserveBytes;
    }

    /**
     * {@code maker} (a linked peer, the signer of the Inventory) names this node keeper of
     * {@code commit}: whether to take the duty (and fetch). {@code linked} are the peers with an
     * open link now.
     */
    boolean take(PublicId maker, String commit, Collection<PublicId> linked, long nowMs) {
        return take(maker, commit, linked, nowMs, (m, c) -> { });
    }

    /** {@link #take}, telling {@code evicted} the maker and commit of each duty it gives up to make room. */
    boolean take(PublicId maker, String commit, Collection<PublicId> linked, long nowMs,
                 BiConsumer<PublicId, String> evictedDuty) {
        expire(nowMs);
        if (duties.containsKey(commit)) {
            return true;
        }
        Set<PublicId> linkedMakers = new HashSet<>(linked);
        linkedMakers.add(maker);
        while (used + reserveBytes > budgetBytes || duties.size() >= MAX_DUTIES) {
            String victim = victim(maker, linkedMakers);
            if (victim == null) {
                declined++;
                return false;
            }
            Duty gone = duties.get(victim);
            release(victim);
            evicted++;
            evictedDuty.accept(gone.maker, victim); // fetched or not, its maker counts this node until told
        }
        duties.put(commit, new Duty(maker, nowMs, reserveBytes));
        used += reserveBytes;
        return true;
    }

    /** The bundle of {@code commit} arrived ({@code bytes} long): a duty's reservation becomes its size. */
    void fetched(String commit, long bytes) {
        Duty duty = duties.get(commit);
        if (duty != null && !duty.fetched) {
            used += bytes - duty.bytes;
            duty.bytes = bytes;
            duty.fetched = true;
        }
    }

    /** The commits kept for neighbours now (duties taken and fetched). */
    Set<String> kept() {
        Set<String> out = new HashSet<>();
        duties.forEach((commit, duty) -> {
            if (duty.fetched) {
                out.add(commit);
            }
        });
        return out;
    }

    long usedBytes() {
        return used;
    }

    long budgetBytes() {
        return budgetBytes;
    }

    /** Duties declined for want of room, since start. */
    long declined() {
        return declined;
    }

    /** Kept commits given up to make room for another maker, since start. */
    long evicted() {
        return evicted;
    }

    /** Bytes kept or reserved for {@code maker} (for tests). */
    long usedBy(PublicId maker) {
        return byMaker().getOrDefault(maker, 0L);
    }

    private void expire(long nowMs) {
        for (Iterator<Map.Entry<String, Duty>> it = duties.entrySet().iterator(); it.hasNext(); ) {
            Duty duty = it.next().getValue();
            if (!duty.fetched && nowMs - duty.sinceMs > PENDING_MS) {
                used -= duty.bytes;
                it.remove();
            }
        }
    }

    /** What to give up for {@code asker}'s duty, or null when nothing may be. */
    private String victim(PublicId asker, Set<PublicId> linkedMakers) {
        for (Map.Entry<String, Duty> e : duties.entrySet()) {
            if (!linkedMakers.contains(e.getValue().maker)) {
                return e.getKey(); // the oldest kept for a maker gone
            }
        }
        Map<PublicId, Long> usage = byMaker();
        long share = budgetBytes / linkedMakers.size();
        if (usage.getOrDefault(asker, 0L) + reserveBytes > share) {
            return null; // the asker has its share: first come, first served above it
        }
        PublicId heaviest = null;
        long most = share;
        for (Map.Entry<PublicId, Long> u : usage.entrySet()) {
            if (u.getValue() > most) {
                heaviest = u.getKey();
                most = u.getValue();
            }
        }
        if (heaviest == null) {
            return null;
        }
        for (Map.Entry<String, Duty> e : duties.entrySet()) {
            if (e.getValue().maker.equals(heaviest)) {
                return e.getKey();
            }
        }
        return null;
    }

    private Map<PublicId, Long> byMaker() {
        Map<PublicId, Long> usage = new HashMap<>();
        duties.values().forEach(d -> usage.merge(d.maker, d.bytes, Long::sum));
        return usage;
    }

    /** The commit is no longer held or kept (the repository gave it up): its bytes are free again. */
    void release(String commit) {
        Duty duty = duties.remove(commit);
        if (duty != null) {
            used -= duty.bytes;
        }
    }
}
