package dev.rhizome.node.git;

import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Every path a commit's tree can produce is at most {@link TreeNames#MAX_PATH_BYTES} long, as a
 * checkout can write it. Judged where a walk first met each object, a tree reused deeper in the
 * same commit, or a held tree put under new ones, passed the import and was refused only by the
 * job's checkout. So the longest path below each tree is counted once per tree (a tree reused many
 * times, or whose paths double at each level, costs one parse, not one per path), and a descent
 * stops as soon as the path it is on is too long (nesting a rogue made thousands deep costs at most
 * the limit's depth).
 */
final class TreePaths {
    private final ObjectReader reader;
    /** Per tree: its longest path relative to it, in bytes (0 for an empty tree). */
    private final Map<ObjectId, Integer> longest = new HashMap<>();

    TreePaths(ObjectReader reader) {
        this.reader = reader;
    }

    /** @throws BundleException a commit's tree has a path longer than a checkout may write */
    void requireWritable(Collection<RevCommit> commits) throws BundleException, IOException {
        for (RevCommit commit : commits) {
            int path = longest(commit.getTree(), 0, commit);
            if (path > TreeNames.MAX_PATH_BYTES) {
                throw tooLong(commit, path);
            }
        }
    }

    /** The longest path below {@code tree}, whose own path is {@code prefix} bytes long (0 at the root). */
    private int longest(AnyObjectId tree, int prefix, RevCommit commit) throws BundleException, IOException {
        Integer known = longest.get(tree);
        if (known != null) {
            return known;
        }
        int max = 0;
        for (CanonicalTreeParser entries = new CanonicalTreeParser(null, reader, tree); !entries.eof(); entries.next()) {
            int name = entries.getNameLength();
            int path = prefix + (prefix > 0 ? 1 : 0) + name;
            if (path > TreeNames.MAX_PATH_BYTES) {
                throw tooLong(commit, path);
            }
            int here = name;
            if (FileMode.TREE.equals(entries.getEntryRawMode())) {
                int below = longest(entries.getEntryObjectId(), path, commit);
                here += below > 0 ? 1 + below : 0;
            }
            max = Math.max(max, here);
        }
        longest.put(tree.copy(), max);
        return max;
    }

    private static BundleException tooLong(RevCommit commit, int path) {
        return new BundleException("bundle's commit " + commit.name() + " has a path of " + path + " bytes (at most "
                + TreeNames.MAX_PATH_BYTES + ")");
    }
}
