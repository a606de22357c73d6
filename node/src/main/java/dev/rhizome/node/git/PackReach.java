package dev.rhizome.node.git;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.ObjectWalk;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * What a received pack may carry: the tip's history back to where it meets the bundle's
 * prerequisites, and nothing else. A bundle whose tip was right but whose pack also held objects
 * the tip does not reach (or reaches only through a prerequisite's history) was imported and then
 * served byte for byte to others: a rogue could have honest nodes store and spread any data under
 * a real commit's name. Every prerequisite must also be where the history meets ours (a parent of a
 * commit the pack brings): one that is not is a header line carrying nothing.
 *
 * <p>An honest writer (JGit's {@code BundleWriter}, git's {@code bundle create}) sends the commits
 * the tip reaches and the prerequisites do not, and of the trees and blobs only those of these
 * commits; which of their objects it leaves out as the prerequisites' depends on how far its walk
 * went, so a pack is judged against the whole trees of its commits, never against a set it must
 * equal. The first pass is the one a writer makes (prerequisites and the held commits the new
 * history rests on marked uninteresting), bounded by what is new; the trees are walked whole only
 * when that pass leaves objects unexplained, and only until each is found.
 */
final class PackReach {
    /** How many unexplained objects a refusal names. */
    private static final int NAMED = 3;

    private PackReach() {
    }

    /**
     * What the import's own walk from the tip found (its connectivity check): the new commits,
     * oldest first, the held commits it stopped at, and the pack's objects it never reached.
     * Where it stopped at the same commits as this check's writer's walk would, the two walks
     * yield the same objects, so the check takes the import's instead of walking again.
     */
    record Walked(List<ObjectId> fresh, Set<ObjectId> boundary, Set<ObjectId> unreached) {
    }

    /** {@link #check(Repository, ObjectId, Collection, Set, Walked)} walking on its own. */
    static void check(Repository repository, ObjectId tip, Collection<String> prerequisites, Set<ObjectId> received)
            throws BundleException, IOException {
        check(repository, tip, prerequisites, received, null);
    }

    /**
     * @param repository  sees the received objects and the ones held (the quarantine)
     * @param received    every object the pack carried (not the bases a thin pack borrowed)
     * @param walked      the import's walk from the tip, or null: the writer's walk is made here
     * @throws BundleException the pack carries something else, or a prerequisite the history never meets
     */
    static void check(Repository repository, ObjectId tip, Collection<String> prerequisites, Set<ObjectId> received,
                      Walked walked) throws BundleException, IOException {
        Set<ObjectId> unexplained = new HashSet<>(received);
        try (RevWalk commits = new RevWalk(repository)) {
            History history = history(commits, commits.parseCommit(tip), prerequisites, received);
            unexplained.removeAll(history.commits());
            List<String> unmet = new ArrayList<>(prerequisites);
            unmet.removeIf(p -> history.met().contains(ObjectId.fromString(p)));
            if (!unmet.isEmpty()) {
                throw new BundleException("bundle's prerequisite " + unmet.get(0)
                        + " is not where the tip's history meets ours (not a parent of a commit the bundle brings)");
            }
            try (ObjectReader reader = repository.newObjectReader()) {
                new TreePaths(reader).requireWritable(history.commits());
            }
            if (!unexplained.isEmpty()) {
                if (walked != null && sameCommits(walked.boundary(), history.boundary())) {
                    unexplained.retainAll(walked.unreached());
                } else {
                    // The import stopped elsewhere (a held commit the pack carries again, or one
                    // with no ref yet): its walk yielded another set, so the writer's is made.
                    writersWalk(repository, tip, history.boundary(), unexplained);
                }
            }
            if (!unexplained.isEmpty()) {
                wholeTrees(repository, history.commits(), unexplained);
            }
        }
        if (!unexplained.isEmpty()) {
            throw new BundleException("bundle's pack carries " + unexplained.size() + " object(s) its tip "
                    + tip.name() + " does not reach without its prerequisites' history: " + named(repository, unexplained));
        }
    }

    /**
     * The commits the bundle brings as its history: from the tip back along parents, through the
     * commits the pack carries, stopping at a prerequisite and at a commit it does not carry (held
     * already: the boundary).
     */
    private record History(Set<RevCommit> commits, Set<ObjectId> met, Set<RevCommit> boundary) {
    }

    private static History history(RevWalk walk, RevCommit tip, Collection<String> prerequisites, Set<ObjectId> received)
            throws IOException {
        Set<ObjectId> stops = new HashSet<>();
        prerequisites.forEach(p -> stops.add(ObjectId.fromString(p)));
        Set<RevCommit> commits = new HashSet<>(List.of(tip));
        Set<ObjectId> met = new HashSet<>();
        Set<RevCommit> boundary = new HashSet<>();
        Deque<RevCommit> todo = new ArrayDeque<>(List.of(tip));
        while (!todo.isEmpty()) {
            RevCommit commit = todo.pop();
            walk.parseHeaders(commit);
            for (RevCommit parent : commit.getParents()) {
                if (stops.contains(parent)) {
                    met.add(parent.copy());
                    boundary.add(parent);
                } else if (!received.contains(parent)) {
                    boundary.add(parent);
                } else if (commits.add(parent)) {
                    todo.push(parent);
                }
            }
        }
        return new History(commits, met, boundary);
    }

    private static boolean sameCommits(Set<ObjectId> walkedBoundary, Set<RevCommit> boundary) {
        return walkedBoundary.size() == boundary.size() && walkedBoundary.containsAll(boundary);
    }

    /** Removes from {@code unexplained} what a writer's walk from the tip, the boundary uninteresting, yields. */
    private static void writersWalk(Repository repository, ObjectId tip, Set<RevCommit> boundary, Set<ObjectId> unexplained)
            throws IOException {
        try (ObjectWalk walk = new ObjectWalk(repository)) {
            walk.markStart(walk.parseCommit(tip));
            for (RevCommit held : boundary) {
                walk.markUninteresting(walk.parseCommit(held));
            }
            while (walk.next() != null) {
                // commits: already explained by the history
            }
            for (RevObject o = walk.nextObject(); o != null && !unexplained.isEmpty(); o = walk.nextObject()) {
                unexplained.remove(o);
            }
        }
    }

    /** Removes from {@code unexplained} what the history's trees hold, walked whole, until nothing is left. */
    private static void wholeTrees(Repository repository, Set<RevCommit> commits, Set<ObjectId> unexplained)
            throws IOException {
        try (ObjectWalk walk = new ObjectWalk(repository)) {
            for (RevCommit commit : commits) {
                walk.markStart(walk.parseTree(walk.parseCommit(commit).getTree()));
            }
            for (RevObject o = walk.nextObject(); o != null && !unexplained.isEmpty(); o = walk.nextObject()) {
                unexplained.remove(o);
            }
        }
    }

    private static String named(Repository repository, Set<ObjectId> objects) throws IOException {
        List<String> names = new ArrayList<>();
        try (RevWalk walk = new RevWalk(repository)) {
            for (ObjectId id : objects) {
                if (names.size() == NAMED) {
                    names.add("...");
                    break;
                }
                names.add(Constants.typeString(walk.parseAny(id).getType()) + " " + id.name());
            }
        }
        return String.join(", ", names);
    }
}
