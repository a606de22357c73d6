package dev.rhizome.node.disk;

import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.work.SlotStatus;
import dev.rhizome.node.work.WorkLoop;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * The commits whose bundles a node keeps whatever its cache cap: those its slots are evaluating or
 * have claimed next, and their parents (the frontier each is measured against, which other nodes
 * evaluating the same direction ask for too).
 */
public final class WantedCommits {
    private WantedCommits() {
    }

    /** @param loop null before the work loop exists: nothing is wanted yet */
    public static Set<String> of(WorkLoop loop, NodeRepository repository) {
        Set<String> wanted = new HashSet<>();
        if (loop == null) {
            return wanted;
        }
        for (SlotStatus slot : loop.status().slots()) {
            if (slot.job() != null) {
                wanted.add(slot.job().commit());
            }
            if (slot.next() != null) {
                wanted.add(slot.next().commit());
            }
        }
        for (String commit : Set.copyOf(wanted)) {
            try {
                repository.parentOf(commit).ifPresent(wanted::add);
            } catch (IOException | RuntimeException e) {
                // Not held yet or unreadable: nothing more to keep for it.
            }
        }
        return wanted;
    }
}
