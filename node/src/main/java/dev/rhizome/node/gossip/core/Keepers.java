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
 * named to keep a copy of each, which confirmed, and whom to name next. Bounded to the most recent
 * {@link #OWN_COMMITS} commits.
 *
 * <p>A keeper is confirmed on evidence a liar cannot fake cheaply: it announced the commit AND this
 * node served it the whole bundle (an upload from the first byte to the last, to a fetch hello
 * carrying its id). An announcement alone costs nothing; it is believed for {@link #WAIT_MS} like
 * any named keeper's silence, then the announcer is doubted (never named again for that commit,
 * never counted) and another is named. A keeper that took the bundle from another holder is
 * doubted the same way: one more copy than asked, never one fewer.
 */
final class Keepers {
    /** Own commits whose keepers are still looked for. */
    static final int OWN_COMMITS = 256;
    /** A keeper named that has not announced the commit within this long is replaced by another. */
    static final long WAIT_MS = 60_000;

    private static final class Keeping {
        /** Named, not yet confirmed: when. */
        final Map<PublicId, Long> pending = new HashMap<>();
        final Set<PublicId> announced = new HashSet<>();
        final Set<PublicId> served = new HashSet<>();
        final Set<PublicId> confirmed = new HashSet<>();
        /** Announced it without our serving it, and not confirmed within the wait: neither counted nor named again. */
        final Set<PublicId> doubted = new HashSet<>();

        int counted(long now) {
            pending.entrySet().removeIf(e -> {
                boolean expired = now - e.getValue() > WAIT_MS;
                if (expired && announced.contains(e.getKey())) {
                    doubted.add(e.getKey());
                }
                return expired;
            });
            return pending.size() + confirmed.size();
        }

        void confirmIfProven(PublicId peer) {
            if (announced.contains(peer) && served.contains(peer) && !doubted.contains(peer)) {
                pending.remove(peer);
                confirmed.add(peer);
            }
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

    /** {@code from} announced {@code commit}: if it is ours, a copy there once we have served it the bundle. */
    void heard(PublicId from, String commit) {
        Keeping k = keeping.get(commit);
        if (k != null) {
            k.announced.add(from);
            k.confirmIfProven(from);
            if (!k.pending.containsKey(from) && !k.confirmed.contains(from)) {
                // Unasked, and not served by us: nothing shows it holds a copy, and naming a node that
                // says it holds the commit could never bring evidence either.
                k.doubted.add(from);
            }
        }
    }

    /** This node served {@code to} the whole bundle of {@code commit}: if it is ours, evidence of a copy there. */
    void served(PublicId to, String commit) {
        Keeping k = keeping.get(commit);
        if (k != null) {
            k.served.add(to);
            k.confirmIfProven(to);
        }
    }

    /** Keepers confirmed for {@code commit} (for tests). */
    Set<PublicId> confirmed(String commit) {
        Keeping k = keeping.get(commit);
        return k == null ? Set.of() : Set.copyOf(k.confirmed);
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
                if (!k.pending.containsKey(peer) && !k.confirmed.contains(peer) && !k.doubted.contains(peer)) {
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
