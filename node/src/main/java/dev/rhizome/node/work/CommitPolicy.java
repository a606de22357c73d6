package dev.rhizome.node.work;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * A volunteer runs a stranger's commit only if it changes nothing but the files the seed lets
 * experiments change: the command, the manifest and the evaluation stay the seed's own. Pure.
 */
public final class CommitPolicy {
    private CommitPolicy() {
    }

    /** The changed paths that the seed does not allow, empty when the commit may run. */
    public static Set<String> forbiddenChanges(Collection<String> changedSinceSeed, Collection<String> editableFiles) {
        Set<String> forbidden = new TreeSet<>(changedSinceSeed);
        forbidden.removeAll(editableFiles);
        return forbidden;
    }
}
