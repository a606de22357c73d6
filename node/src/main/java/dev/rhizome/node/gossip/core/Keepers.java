package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.util.ArrayList;
import java.util.Comparator;
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
 * <p>A copy is confirmed on evidence a liar cannot fake cheaply: this node's server sent the peer
 * the whole bundle (one upload from its first byte to its last, to a fetch hello carrying the
 * peer's id). An announcement costs nothing, so it confirms nothing: a peer that says it holds one
 * of our commits without having taken it from us is doubted, neither counted nor named. A named
 * keeper is counted while it has {@link #WAIT_MS} to take the bundle; one that has not by then
 * (it never fetched, or took the bundle from another holder) is doubted too and another is named:
 * one copy more than asked at worst, never one fewer. A keeper that gives the commit up (its
 * repository's budget, its keep budget's eviction) says so, and is then neither counted nor named
 * again for it ({@link #gone}) while other links can be: in a small neighbourhood where every link
 * gave it up, the one that gave it up longest ago is asked again after {@link #GONE_MS} (its budget
 * may have room by then; it may decline again, once per {@link #GONE_MS}), rather than leaving the
 * commit on its maker alone.
 *
 * <p>It says so to the links it has when it gives the commit up, and to each new link it makes
 * soon after; a keeper no longer linked here (it restarted, and linked elsewhere) may give the
 * commit up without this node ever hearing. So a keeper counts only while it is linked here or
 * has been away less than {@link #AWAY_MS}: past that another is named. A keeper that links here
 * again after being away may have restarted in between, and a restart forgets which commits it
 * gave up while it was away, so nobody would ever tell this node: it is named again for the
 * commits it kept ({@link #linked}) and counts again once it shows it still holds them (it
 * announces them, as a node named for a commit it holds does) or fetches them anew (it had given
 * them up), within {@link #WAIT_MS}; one that does neither is doubted like a keeper that never
 * fetched, and another is named.
 */
final class Keepers {
    /** Own commits whose keepers are still looked for. */
    static final int OWN_COMMITS = 256;
    /** A keeper named that has not taken the bundle from us within this long is replaced by another. */
    static final long WAIT_MS = 60_000;
    /** A keeper whose link here closed this long ago is not counted until it links again. */
    static final long AWAY_MS = 2 * WAIT_MS;
    /** A keeper that gave a commit up is asked again for it, when no other link can be, this long after. */
    static final long GONE_MS = 2 * WAIT_MS;

    private static final class Keeping {
        final String commit;
        /** Named, not yet confirmed: since when. */
        final Map<PublicId, Long> pending = new HashMap<>();
        final Set<PublicId> confirmed = new HashSet<>();
        /** Claimed a copy without our serving it, or named and never took it: neither counted nor named again. */
        final Set<PublicId> doubted = new HashSet<>();
        /** Keepers that gave the commit up, or were asked again after that: since when. */
        final Map<PublicId, Long> gaveUp = new HashMap<>();
        /** Confirmed keepers whose link here is closed: since when. */
        final Map<PublicId, Long> away = new HashMap<>();
        /** Confirmed keepers back from away, named again, not yet shown to hold the commit still: since when. */
        final Map<PublicId, Long> rechecking = new HashMap<>();

        Keeping(String commit) {
            this.commit = commit;
        }

        int counted(long now) {
            expire(pending, now);
            expire(rechecking, now);
            int longAway = 0;
            for (long since : away.values()) {
                if (now - since > AWAY_MS) {
                    longAway++;
                }
            }
            return pending.size() + rechecking.size() + confirmed.size() - longAway;
        }

        /** Whether {@code peer} keeps the commit, or may still show it does: not to be named anew. */
        boolean counts(PublicId peer) {
            return pending.containsKey(peer) || rechecking.containsKey(peer) || confirmed.contains(peer);
        }

        private void expire(Map<PublicId, Long> waiting, long now) {
            waiting.entrySet().removeIf(e -> {
                boolean expired = now - e.getValue() > WAIT_MS;
                if (expired) {
                    doubted.add(e.getKey());
                }
                return expired;
            });
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
        Keeping k = new Keeping(commit);
        chosen.forEach(p -> k.pending.put(p, now));
        keeping.put(commit, k);
        return chosen;
    }

    /**
     * {@code from} announced {@code commit}. If it is ours and nothing shows {@code from} took it
     * from us, the claim is doubted (naming a node that says it holds the commit could never bring
     * evidence either); a keeper we named keeps the rest of its wait.
     */
    void heard(PublicId from, String commit) {
        Keeping k = keeping.get(commit);
        if (k == null) {
            return;
        }
        if (k.rechecking.remove(from) != null) {
            k.confirmed.add(from); // it took the bundle from us before, and says it still holds it
        } else if (!k.pending.containsKey(from) && !k.confirmed.contains(from)) {
            k.doubted.add(from);
        }
    }

    /** This node's server sent {@code to} the whole bundle of {@code commit}: if it is ours, a copy there. */
    void served(PublicId to, String commit) {
        Keeping k = keeping.get(commit);
        if (k != null) {
            k.pending.remove(to);
            k.rechecking.remove(to);
            k.doubted.remove(to);
            k.confirmed.add(to);
            k.away.remove(to); // it fetched from us just now
        }
    }

    /**
     * {@code from} says it no longer keeps {@code commit} (given up over its budget, or its duty
     * evicted): if it is ours, {@code from} is no longer counted, nor named again for it, so
     * {@link #more} names another while fewer than asked keep it.
     */
    void gone(PublicId from, String commit, long now) {
        Keeping k = keeping.get(commit);
        if (k != null) {
            if (k.counts(from)) {
                k.gaveUp.put(from, now); // a keeper's honest withdrawal, not any link's word about our commit
            }
            k.pending.remove(from);
            k.rechecking.remove(from);
            k.confirmed.remove(from);
            k.away.remove(from);
            k.doubted.add(from);
        }
    }

    /** The link to {@code peer} closed: where it is a confirmed keeper, its time away starts. */
    void unlinked(PublicId peer, long now) {
        for (Keeping k : keeping.values()) {
            if (k.confirmed.contains(peer)) {
                k.away.putIfAbsent(peer, now);
            }
        }
    }

    /**
     * {@code peer} linked here: the commits it kept before its link here closed, to name it again
     * for. It counts for each while it has {@link #WAIT_MS} to show it still holds it.
     */
    List<String> linked(PublicId peer, long now) {
        List<String> again = new ArrayList<>();
        for (Keeping k : keeping.values()) { // not by key: a read reorders the bounded map
            if (k.away.remove(peer) != null && k.confirmed.remove(peer)) {
                k.rechecking.put(peer, now);
                again.add(k.commit);
            }
        }
        return again;
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
                if (!k.counts(peer) && !k.doubted.contains(peer)) {
                    candidates.add(peer);
                }
            }
            List<PublicId> chosen = new ArrayList<>(Wants.keepers(commit, candidates, missing));
            if (chosen.size() < missing) {
                chosen.addAll(askedAgain(k, open, missing - chosen.size(), now));
            }
            for (PublicId keeper : chosen) {
                List<String> commits = asks.computeIfAbsent(keeper, x -> new ArrayList<>());
                if (commits.size() < maxPerPeer) {
                    k.pending.put(keeper, now);
                    if (k.gaveUp.containsKey(keeper)) {
                        k.gaveUp.put(keeper, now); // asked again: not again before GONE_MS
                    }
                    commits.add(commit);
                }
            }
        }
        return asks;
    }

    /** Links that gave the commit up at least {@link #GONE_MS} ago, the longest ago first. */
    private static List<PublicId> askedAgain(Keeping k, List<PublicId> open, int wanted, long now) {
        return open.stream()
                .filter(p -> !k.counts(p))
                .filter(p -> k.gaveUp.containsKey(p) && now - k.gaveUp.get(p) >= GONE_MS)
                .sorted(Comparator.comparingLong(k.gaveUp::get))
                .limit(wanted)
                .toList();
    }
}
