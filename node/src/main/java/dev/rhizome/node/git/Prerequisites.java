package dev.rhizome.node.git;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * Chooses the prerequisites of a thin bundle: of the commits the receiver holds, those that are
 * ancestors of the tip, minus any that is an ancestor of another (it adds nothing). Keeping the set
 * minimal makes bundles for the same tip coincide across receivers, so the cache serves them all.
 */
final class Prerequisites {
    private Prerequisites() {
    }

    static List<RevCommit> select(RevWalk walk, RevCommit tip, Collection<? extends ObjectId> receiverHas)
            throws IOException {
        Set<ObjectId> candidates = new HashSet<>(receiverHas);
        candidates.remove(tip);
        if (candidates.isEmpty()) {
            return List.of();
        }
        List<RevCommit> ancestors = new ArrayList<>();
        walk.reset();
        walk.markStart(tip);
        for (RevCommit commit : walk) {
            if (candidates.contains(commit)) {
                ancestors.add(commit);
            }
        }
        if (ancestors.size() <= 1) {
            return ancestors;
        }
        walk.reset();
        for (RevCommit ancestor : ancestors) {
            for (RevCommit parent : ancestor.getParents()) {
                walk.markStart(walk.parseCommit(parent));
            }
        }
        Set<ObjectId> covered = new HashSet<>();
        for (RevCommit commit : walk) {
            covered.add(commit.copy());
        }
        ancestors.removeIf(covered::contains);
        return ancestors;
    }
}
