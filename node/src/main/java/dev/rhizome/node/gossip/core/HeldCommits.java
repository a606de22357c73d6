package dev.rhizome.node.gossip.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The commits this node holds, and the newest of them: what a new neighbour is told. */
final class HeldCommits {
    private final int maxRecent;
    private final Set<String> held = new HashSet<>();
    private final ArrayDeque<String> recent = new ArrayDeque<>();

    HeldCommits(int maxRecent) {
        this.maxRecent = maxRecent;
    }

    boolean holds(String commit) {
        return held.contains(commit);
    }

    /** The newest held commits, at most maxCommitsPerInventory, oldest first. */
    List<String> recent() {
        return new ArrayList<>(recent);
    }

    /** Returns false when it was held already. */
    boolean add(String commit) {
        if (!held.add(commit)) {
            return false;
        }
        recent.addLast(commit);
        if (recent.size() > maxRecent) {
            recent.removeFirst();
        }
        return true;
    }

    void remove(String commit) {
        if (held.remove(commit)) {
            recent.remove(commit);
        }
    }
}
