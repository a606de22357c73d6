package dev.rhizome.node.git;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * Which held commits a repository over its budget gives up, in order: no I/O, so it is tested on
 * made-up histories. Commits are given up in two rounds, relay-only ones first (held for no one:
 * fetched for work long done, or once kept for a neighbour that this node no longer keeps), then
 * commits kept for neighbours; never a commit {@code protect}ed (made here, or wanted by the work
 * now) nor an ancestor of one, since its objects stay reachable anyway and its ref lets it serve as
 * a thin bundle's prerequisite. Within a round the oldest held goes first, and only a commit all
 * of whose held children are given up before it: giving up a parent whose child stays would free
 * nothing (the child reaches its objects), and would break the repository's rule that every
 * ancestor of a commit with a ref has one (what an import's boundary walk relies on).
 *
 * @param parents    each held commit's parents (those not held are ignored)
 * @param heldSince  when each held commit was held (ms); older goes first
 * @param protect    commits never given up, with their ancestors
 * @param kept       commits kept for neighbours: given up only in the second round, after every relay-only one
 */
record PrunePlan(Map<String, List<String>> parents, Map<String, Long> heldSince, Set<String> protect, Set<String> kept) {

    /**
     * Commits to give up until {@code bytes} of them (each {@code size}, asked lazily, in the order
     * given up) reach {@code excess}, or nothing more may go.
     */
    List<String> drop(long excess, ToLongFunction<String> size) {
        Set<String> fixed = ancestorsOf(protect);
        Set<String> keptAndBelow = ancestorsOf(kept);
        Map<String, Integer> children = new HashMap<>();
        parents.forEach((commit, ps) -> ps.stream().filter(parents::containsKey)
                .forEach(p -> children.merge(p, 1, Integer::sum)));
        Set<String> dropped = new HashSet<>();
        List<String> order = new ArrayList<>();
        long freed = 0;
        for (boolean keeperRound : new boolean[] {false, true}) {
            Comparator<String> oldest = Comparator.comparingLong((String c) -> heldSince.getOrDefault(c, 0L))
                    .thenComparing(Comparator.naturalOrder());
            PriorityQueue<String> leaves = new PriorityQueue<>(oldest);
            for (String commit : parents.keySet()) {
                if (!dropped.contains(commit) && droppable(commit, keeperRound, fixed, keptAndBelow)
                        && children.getOrDefault(commit, 0) == 0) {
                    leaves.add(commit);
                }
            }
            while (freed < excess && !leaves.isEmpty()) {
                String commit = leaves.poll();
                dropped.add(commit);
                order.add(commit);
                freed += size.applyAsLong(commit);
                for (String parent : parents.get(commit)) {
                    if (parents.containsKey(parent) && children.merge(parent, -1, Integer::sum) == 0
                            && droppable(parent, keeperRound, fixed, keptAndBelow)) {
                        leaves.add(parent);
                    }
                }
            }
        }
        return order;
    }

    private boolean droppable(String commit, boolean keeperRound, Set<String> fixed, Set<String> keptAndBelow) {
        return !fixed.contains(commit) && (keeperRound || !keptAndBelow.contains(commit));
    }

    /** {@code from} and every held ancestor of them. */
    private Set<String> ancestorsOf(Set<String> from) {
        Set<String> out = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        for (String c : from) {
            if (parents.containsKey(c) && out.add(c)) {
                todo.push(c);
            }
        }
        while (!todo.isEmpty()) {
            for (String p : parents.get(todo.pop())) {
                if (parents.containsKey(p) && out.add(p)) {
                    todo.push(p);
                }
            }
        }
        return out;
    }
}
