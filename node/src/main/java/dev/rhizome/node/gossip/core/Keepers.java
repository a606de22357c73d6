package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The wants filter's replication of this node's own commits (see {@link Wants}): which links were
 * named to keep a copy of each, which confirmed by announcing it, and whom to name next. Bounded to
 * the most recent {@link #OWN_COMMITS} commits.
 */
final class Keepers {
    /** Own commits whose keepers are still looked for. */
    static final int OWN_COMMITS = 256;
    /** A keeper named that has not announced the commit within this long is replaced by another. */
    static final long WAIT_MS = 60_000;

    private static final class Keeping {
        final Map<PublicId, Long> pending = new HashMap<>();
        final Set<PublicId> confirmed = new HashSet<>();

        int counted(long now) {
            pending.values().removeIf(askedAt -> now - askedAt > WAIT_MS);
            return pending.size() + confirmed.size();
        }
    }

    private final int copies;
    private final Bounded<String, Keeping> keeping = new Bounded<>(OWN_COMMITS);

    Keepers(int copies) {
        this.copies = copies;
    }

    /** This node made {@code commit}: the keepers to name among {@code candidates}, by rendezvous order. */
    List<PublicId> made(String commit, List<PublicId> candidates, long now) {
        List<PublicId> chosen = Wants.keepers(commit, candidates, copies);
        Keeping k = new Keeping();
        chosen.forEach(p -> k.pending.put(p, now));
        keeping.put(commit, k);
        return chosen;
    }

    /** {@code from} announced {@code commit}: if it is ours, a copy is confirmed there. */
    void heard(PublicId from, String commit) {
        Keeping k = keeping.get(commit);
        if (k != null) {
            k.pending.remove(from);
            k.confirmed.add(from);
        }
    }

    /**
     * Own commits short of keepers (made while this node had few links, or a keeper never fetched):
     * more named among {@code open}, by rendezvous order. Returns, per link to name, its commits (at
     * most {@code maxPerPeer}).
     */
    Map<PublicId, List<String>> more(List<PublicId> open, int maxPerPeer, long now) {
        Map<PublicId, List<String>> asks = new LinkedHashMap<>();
        for (String commit : keeping.keys()) {
            Keeping k = keeping.get(commit);
            int missing = copies - k.counted(now);
            if (missing <= 0) {
                continue;
            }
            List<PublicId> candidates = new ArrayList<>();
            for (PublicId peer : open) {
                if (!k.pending.containsKey(peer) && !k.confirmed.contains(peer)) {
                    candidates.add(peer);
                }
            }
            for (PublicId keeper : Wants.keepers(commit, candidates, missing)) {
                List<String> commits = asks.computeIfAbsent(keeper, x -> new ArrayList<>());
                if (commits.size() < maxPerPeer) {
                    k.pending.put(keeper, now);
                    commits.add(commit);
                }
            }
        }
        return asks;
    }
}
