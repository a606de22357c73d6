package dev.rhizome.node.work;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The commits this node goes on fetching for units it gave back because the download outlasted the
 * job's limit ({@link LeaseRenewals#fetchGiveUpAtMs}). Every claim names them, so the coordinator
 * does not lease a unit of one straight back to another slot of this node, which would wait on the
 * same download and undo the give-back. Counted per commit (two slots may fetch one), and at most
 * {@link #MAX} named: the coordinator refuses a claim naming more. Safe from every slot's thread.
 */
final class FetchingGivenBack {
    /** As many as the coordinator takes in a claim (Dispatcher.MAX_FETCHING_GIVEN_BACK). */
    static final int MAX = 16;

    private final Map<String, Integer> fetches = new TreeMap<>();

    synchronized void started(String commit) {
        fetches.merge(commit, 1, Integer::sum);
    }

    synchronized void ended(String commit) {
        fetches.computeIfPresent(commit, (c, n) -> n > 1 ? n - 1 : null);
    }

    synchronized boolean holds(String commit) {
        return fetches.containsKey(commit);
    }

    /** What a claim names now: the commits in order, at most {@link #MAX}. */
    synchronized List<String> commits() {
        return fetches.keySet().stream().limit(MAX).toList();
    }
}
