package dev.rhizome.coordinator.service;

import dev.rhizome.coordinator.core.DirectionRecord;
import dev.rhizome.coordinator.store.AdoptedPaths;
import dev.rhizome.coordinator.store.Experiments;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Whether a commit is on a direction's adopted path (the frontier or one of its ancestors, through
 * either parent), kept as rows ({@link AdoptedPaths}) where the frontier moves, so that the
 * question is one key look-up: it walked back from the frontier through parents at each ask, up
 * to 100,000 experiment look-ups on a deep history.
 *
 * <p>A parent is registered before its child ({@link ExperimentRegistry} requires a known parent),
 * so a commit's ancestry is fixed when it is registered, and a commit registered before the
 * direction opened has no ancestor of the direction's: the rows are the path's commits registered
 * after the direction opened, and every walk stops at older ones. An adoption walks back from the
 * new frontier to the first commit already on the path: below it the path holds already; above
 * it, in one chain of first parents, are the old frontier's commits that a sibling's adoption
 * leaves off (none when the old frontier is that commit). A merge on the way, or a path that is
 * no chain, rebuilds the direction's path whole. A path written for another frontier than the
 * direction's (an older coordinator moved it) is read by the walk and rebuilt at the next
 * settlement in its direction.
 */
final class AdoptedPath {
    /** Commits walked back from the frontier by the walk a path not kept falls back to. */
    static final int MAX_WALK = 100_000;

    private AdoptedPath() {
    }

    /** Whether {@code commit} is on {@code d}'s adopted path: one look-up where the path is kept, else the walk. */
    static <T extends Experiments & AdoptedPaths> boolean contains(T tx, DirectionRecord d, String commit) {
        return tx.onKeptPath(d.name(), d.frontier().commit(), commit)
                .orElseGet(() -> walkReaches(tx, d.frontier().commit(), commit));
    }

    /**
     * With the direction's frontier moved from {@code previous} to {@code frontier}, in the same
     * transaction: the path made {@code frontier}'s.
     */
    static void adopted(AdoptedPaths tx, String direction, String previous, String frontier) {
        AdoptedPaths.PathHead head = tx.pathHead(direction).orElseThrow();
        if (!head.chain() || !head.frontier().map(previous::equals).orElse(false)) {
            rebuild(tx, direction, head.openedSeq(), frontier);
            return;
        }
        List<String> walked = new ArrayList<>();
        long kept = -1;  // the depth of the first commit already on the path: -1 when none is
        for (String c = frontier; ; ) {
            OptionalLong depth = tx.pathDepth(direction, c);
            if (depth.isPresent()) {
                kept = depth.getAsLong();
                break;
            }
            AdoptedPaths.Ancestry a = tx.ancestry(c).orElse(null);
            if (a == null || a.seq() < head.openedSeq()) {
                break;  // a seed's commit, or one older than the direction: nothing of its below
            }
            if (!a.secondParent().isEmpty()) {
                rebuild(tx, direction, head.openedSeq(), frontier);
                return;
            }
            walked.add(c);
            c = a.parent();
        }
        // a chain: what the path holds above the commit reached is the old frontier's own, off the new path
        tx.dropPathAbove(direction, kept);
        for (int i = walked.size() - 1; i >= 0; i--) {
            tx.addToPath(direction, walked.get(i), ++kept);
        }
        tx.setPathHead(direction, frontier, true);
    }

    /**
     * Keeps the direction's path if none is kept for its frontier (a store older than migration 25,
     * or a frontier an older coordinator moved): one row read when it is.
     */
    static void keep(AdoptedPaths tx, DirectionRecord d) {
        AdoptedPaths.PathHead head = tx.pathHead(d.name()).orElseThrow();
        if (!head.frontier().map(d.frontier().commit()::equals).orElse(false)) {
            rebuild(tx, d.name(), head.openedSeq(), d.frontier().commit());
        }
    }

    /**
     * The direction's path written whole: every ancestor of {@code frontier} registered after the
     * direction opened. In depth order when it is one chain; at depth 0 when a merge is on it.
     */
    private static void rebuild(AdoptedPaths tx, String direction, long openedSeq, String frontier) {
        List<String> path = new ArrayList<>();
        boolean chain = true;
        Deque<String> todo = new ArrayDeque<>(List.of(frontier));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String c = todo.pop();
            if (!seen.add(c)) {
                continue;
            }
            AdoptedPaths.Ancestry a = tx.ancestry(c).orElse(null);
            if (a == null || a.seq() < openedSeq) {
                continue;
            }
            path.add(c);
            todo.push(a.parent());
            if (!a.secondParent().isEmpty()) {
                chain = false;
                todo.push(a.secondParent());
            }
        }
        tx.dropPathAbove(direction, -1);
        for (int i = 0; i < path.size(); i++) {
            // one chain is walked from the frontier down: the frontier deepest
            tx.addToPath(direction, path.get(i), chain ? path.size() - i : 0);
        }
        tx.setPathHead(direction, frontier, chain);
    }

    /** Whether {@code commit} is {@code frontier} or one of its ancestors, walked through either parent. */
    static boolean walkReaches(Experiments tx, String frontier, String commit) {
        Deque<String> todo = new ArrayDeque<>(List.of(frontier));
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty() && seen.size() < MAX_WALK) {
            String c = todo.pop();
            if (!seen.add(c)) {
                continue;
            }
            if (c.equals(commit)) {
                return true;
            }
            tx.experiment(c).ifPresent(x -> {
                todo.push(x.record().getParent());
                if (!x.record().getSecondParent().isEmpty()) {
                    todo.push(x.record().getSecondParent());
                }
            });
        }
        return false;
    }
}
