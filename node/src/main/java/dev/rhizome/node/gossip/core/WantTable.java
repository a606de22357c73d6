package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * What is wanted: the table of wanted commits, oldest first (so fetches start in order), bounded
 * and shared among the peers that announced them first. Once it is full, a peer that introduced
 * fewer wants than another takes the place of that one's oldest idle want, so a peer announcing
 * thousands of commits it does not hold can't fill it and have every other announcement dropped.
 */
final class WantTable {
    private final int maxWants;
    private final Map<String, Want> wants = new LinkedHashMap<>();
    /** The wants each peer introduced, oldest first: whose to give up when the table is full. */
    private final Map<PublicId, LinkedHashSet<String>> byOrigin = new HashMap<>();

    WantTable(GossipConfig config) {
        this.maxWants = Math.max(config.maxCommitsPerInventory(), config.maxSeen() / 10);
    }

    Want get(String commit) {
        return wants.get(commit);
    }

    int size() {
        return wants.size();
    }

    /** Every want, oldest first. */
    Collection<Want> all() {
        return wants.values();
    }

    /** Every want with its commit, oldest first; not to be changed through. */
    Set<Map.Entry<String, Want>> entries() {
        return wants.entrySet();
    }

    /** A new want that {@code origin}'s announcement made, or null when the table is full and nobody has more than a fair share. */
    Want open(PublicId origin, String commit) {
        if (wants.size() >= maxWants && !evictFor(origin)) {
            return null;
        }
        Want want = new Want();
        want.origin = origin;
        wants.put(commit, want);
        byOrigin.computeIfAbsent(origin, p -> new LinkedHashSet<>()).add(commit);
        return want;
    }

    /** The want the node's own work makes (no origin: it takes no peer's share), or the one there is. */
    Want openForWork(String commit) {
        return wants.computeIfAbsent(commit, c -> new Want());
    }

    Want remove(String commit) {
        Want want = wants.remove(commit);
        if (want != null) {
            unorigin(commit, want);
        }
        return want;
    }

    /** Forgets wants nobody can serve now and the work does not need, once their announcements are older than {@code ttlMs}. */
    void expire(long ttlMs, long nowMs) {
        for (Iterator<Map.Entry<String, Want>> it = wants.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Want> e = it.next();
            Want want = e.getValue();
            if (want.current == null && !want.needed && (want.queue.isEmpty() || want.dormant)
                    && nowMs - want.touchedMs > ttlMs) {
                it.remove();
                unorigin(e.getKey(), want);
            }
        }
    }

    private void unorigin(String commit, Want want) {
        if (want.origin == null) {
            return;
        }
        LinkedHashSet<String> introduced = byOrigin.get(want.origin);
        if (introduced != null) {
            introduced.remove(commit);
            if (introduced.isEmpty()) {
                byOrigin.remove(want.origin);
            }
        }
    }

    /**
     * The table is full and {@code newcomer} announces a commit not in it: frees a place if some peer
     * introduced more wants than the newcomer has plus one (max-min, as the keep budget shares), by
     * giving up that peer's oldest want that no fetch is running for and the work does not need.
     */
    private boolean evictFor(PublicId newcomer) {
        LinkedHashSet<String> own = byOrigin.get(newcomer);
        int mine = own == null ? 0 : own.size();
        PublicId top = null;
        int most = mine + 1;
        for (Map.Entry<PublicId, LinkedHashSet<String>> e : byOrigin.entrySet()) {
            if (e.getValue().size() > most) {
                most = e.getValue().size();
                top = e.getKey();
            }
        }
        if (top == null) {
            return false;
        }
        for (String commit : byOrigin.get(top)) {
            Want want = wants.get(commit);
            if (want != null && want.current == null && !want.needed) {
                remove(commit);
                return true;
            }
        }
        return false;
    }
}
