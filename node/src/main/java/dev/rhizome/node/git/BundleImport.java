package dev.rhizome.node.git;

import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.ObjectWalk;
import org.eclipse.jgit.revwalk.RevBlob;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevSort;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.PackParser;

/**
 * Commits entering a {@link NodeRepository}: a bundle from a peer, which may lie, or a local
 * workspace's history, which goes through the same checks. What the header says is judged before
 * the repository is touched, the pack unpacked into a {@link Quarantine}, and refs written, oldest
 * first, only once the tip's history is known complete.
 */
final class BundleImport {
    /** Longer than any ref name this project writes ({@code refs/rhizome/commits/<id>}), or git's. */
    static final int MAX_REF_NAME = 255;

    private final Repository repository;
    private final CommitRefs refs;
    private final QuarantineDir quarantines;

    BundleImport(Repository repository, CommitRefs refs) {
        this.repository = repository;
        this.refs = refs;
        this.quarantines = new QuarantineDir(repository.getDirectory().toPath());
    }

    /**
     * @throws BundleException the bundle is at fault (its sender may be blamed)
     * @throws IOException     this machine is: its disk, a lock, a read of our own copy
     */
    String importBundle(ReceivedBundle bundle, String expectedTip, long maxBytes, PackLimits limits)
            throws BundleException, IOException {
        if (!CommitId.isValid(expectedTip)) {
            throw new BundleException("expected tip is not a commit id: '" + expectedTip + "'");
        }
        long size;
        try {
            size = bundle.size();
        } catch (IOException e) {
            throw new BundleException("cannot read bundle " + bundle.name() + ": " + e.getMessage(), e);
        }
        if (size > maxBytes) {
            throw new BundleException("bundle is " + size + " bytes, over the limit of " + maxBytes);
        }
        // A pass of its own, before the lock: what the pack inflates to is judged before JGit inflates it.
        GitBundleHeader judged;
        try (InputStream in = bundle.open(); ObjectReader reader = repository.newObjectReader()) {
            GitBundleHeader header = GitBundleHeader.read(in);
            // The scan looks up a thin pack's bases here: one missing for want of a prerequisite is
            // that, not a delta on the pack's own objects. The header is judged again under the lock.
            checkRefs(header, expectedTip);
            refs.writeLock().lock();
            try {
                checkPrerequisitesHeld(header);
                checkPrerequisiteComments(header);
            } finally {
                refs.writeLock().unlock();
            }
            judged = header;
            try {
                limits.check(in, id -> heldSize(reader, id));
            } catch (BundleTooLargeException e) {
                throw e;
            } catch (BundleException e) {
                // A delta on a prerequisite's object that a prune took since the check above is this
                // node's failure, not its sender's (the check says so when it finds the prune).
                refs.writeLock().lock();
                try {
                    checkPrerequisitesHeld(header);
                } finally {
                    refs.writeLock().unlock();
                }
                throw e;
            }
        }
        // One pass over the bytes: the header is judged, then the pack that follows it is parsed.
        try (InputStream in = bundle.open()) {
            GitBundleHeader header = GitBundleHeader.read(in);
            if (!header.equals(judged)) {
                // Our own bytes read twice; a file changed under the import is this machine's fault.
                throw new IOException("bundle " + bundle.name() + " changed between its two reads");
            }
            String tip = checkRefs(header, expectedTip);
            refs.writeLock().lock();
            try {
                // Held again under the lock that the refs are written under (a prune may have taken
                // one since); the comments were judged above against the same commits, whose bytes
                // their ids fix, so a second look could only say the same.
                checkPrerequisitesHeld(header);
                // Its own ref says the commit and its history are complete here; a commit present
                // without one (an import cut short) is unpacked and refed again.
                if (refs.hasRef(tip)) {
                    return tip;
                }
                try (Quarantine quarantine = Quarantine.open(quarantines)) {
                    Set<ObjectId> received = unpack(quarantine.repository(), in, limits);
                    ObjectId tipId = ObjectId.fromString(tip);
                    PackReach.Walked walked = newHistory(quarantine.repository(), tipId, received);
                    PackReach.check(quarantine.repository(), tipId, header.prerequisites(), received, walked);
                    quarantine.admitInto(repository);
                    // JGit forced the pack and its index; their renames into objects/pack are on
                    // disk before any ref names the commits (a power loss keeps no ref without its pack)
                    refs.sync().packsMoved();
                    CrashPoints.at(CrashPoints.BUNDLE_ADMITTED);
                    for (ObjectId id : walked.fresh()) {
                        refs.createRef(id);
                    }
                    // before the caller tells a peer or the coordinator that the commit is held
                    refs.sync().refsWritten(NodeRepository.COMMIT_REFS);
                }
                return tip;
            } finally {
                refs.writeLock().unlock();
            }
        } catch (CorruptObjectException | IncorrectObjectTypeException e) {
            throw new BundleException("cannot import bundle " + bundle.name() + ": " + e.getMessage(), e);
        }
    }

    /** What a thin pack's delta resting on {@code id} has JGit read whole first; -1 where it is not held. */
    private static long heldSize(ObjectReader reader, ObjectId id) throws IOException {
        try {
            return reader.getObjectSize(id, ObjectReader.OBJ_ANY);
        } catch (MissingObjectException e) {
            return -1;
        }
    }

    /**
     * Under the write lock: every prerequisite held (one given up lately is this node's failure,
     * an {@link IOException}: see {@link CommitRefs#GIVEN_UP_REMEMBERED}).
     */
    private void checkPrerequisitesHeld(GitBundleHeader header) throws BundleException, IOException {
        for (String prerequisite : header.prerequisites()) {
            if (!refs.has(prerequisite)) {
                if (refs.givenUpLately(prerequisite)) {
                    // A fetch names what it holds and the holder builds on it; a prune that gave it
                    // up while the bundle was on its way is this node's doing, not its sender's.
                    throw new IOException("prerequisite " + prerequisite
                            + " was given up here while the bundle built on it was on its way");
                }
                throw new BundleException("missing prerequisite " + prerequisite);
            }
        }
    }

    /**
     * Under the write lock, once {@link #checkPrerequisitesHeld} passed: each prerequisite's line's
     * comment no longer than the commit's message (a writer puts the commit's subject there): a
     * comment is text a rogue could fill with anything, and a node relays the header as received.
     * Judged once an import: it parses each held commit, and its answer depends only on the header
     * and on those commits' bytes, which their ids fix.
     */
    private void checkPrerequisiteComments(GitBundleHeader header) throws BundleException, IOException {
        try (RevWalk walk = new RevWalk(repository)) {
            for (String prerequisite : header.prerequisites()) {
                String comment = header.prerequisiteComments().getOrDefault(prerequisite, "");
                if (comment.isEmpty()) {
                    continue;
                }
                RevCommit held = walk.parseCommit(ObjectId.fromString(prerequisite));
                int message = held.getRawBuffer().length;
                if (comment.getBytes(StandardCharsets.UTF_8).length > message) {
                    throw new BundleException("bundle's line for prerequisite " + prerequisite + " carries "
                            + comment.getBytes(StandardCharsets.UTF_8).length + " bytes of comment, more than the commit itself ("
                            + message + ")");
                }
            }
        }
    }

    private static String checkRefs(GitBundleHeader header, String expectedTip) throws BundleException {
        if (header.refs().size() != 1) {
            throw new BundleException("bundle has " + header.refs().size() + " refs, expected exactly one");
        }
        String tip = header.refs().values().iterator().next();
        if (!tip.equals(expectedTip)) {
            throw new BundleException("bundle tip is " + tip + ", expected " + expectedTip);
        }
        // The ref's name is relayed with the bundle: a name, not a place for a rogue's data.
        String name = header.refs().keySet().iterator().next();
        if (name.length() > MAX_REF_NAME || !Repository.isValidRefName(name)) {
            throw new BundleException("bundle's ref name is not a git ref name of at most " + MAX_REF_NAME
                    + " characters: '" + (name.length() <= 80 ? name : name.substring(0, 80) + "...") + "'");
        }
        return tip;
    }

    /**
     * Stores the pack that follows the header in {@code into} (a {@link Quarantine}), every object
     * checked as JGit's fetch checks them and more ({@link ImportedObjectChecker}); thin, since its deltas may rest on
     * objects we hold. This is what JGit's bundle transport does after its own prerequisite check,
     * which lists and walks every ref held (a cost that grows with all a node ever held); ours,
     * above, looks up only the prerequisites, and {@link #newHistory} checks connectivity
     * afterwards. Returns the objects the pack carried, not the bases a thin pack borrowed.
     */
    private static Set<ObjectId> unpack(Repository into, InputStream pack, PackLimits limits)
            throws BundleException, IOException {
        try (ObjectInserter inserter = into.newObjectInserter()) {
            PackParser parser = inserter.newPackParser(pack);
            parser.setAllowThin(true);
            parser.setObjectChecker(new ImportedObjectChecker());
            parser.setCheckEofAfterPackFooter(true);
            parser.setMaxObjectSizeLimit(limits.maxObjectBytes());
            parser.setNeedNewObjectIds(true);
            parser.parse(NullProgressMonitor.INSTANCE);
            inserter.flush();
            Set<ObjectId> received = new HashSet<>();
            parser.getNewObjectIds().forEach(id -> received.add(id.copy()));
            return received;
        } catch (IOException e) {
            if (LocalFailure.in(e)) {
                // The disk, not the bundle: its sender is not to blame.
                throw new IOException("cannot store the bundle's objects here: " + e.getMessage(), e);
            }
            throw new BundleException("bundle refused while unpacking: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // JGit trusts parts of a pack it has not checked: a delta copying past its base threw
            // ArrayIndexOutOfBoundsException out of the import and the fetch worker running it.
            throw new BundleException("bundle refused while unpacking: " + e, e);
        }
    }

    /**
     * The tip and each of its ancestors that no ref reached before, oldest first (parents before
     * children: were the refs written from it cut short, no commit would have a ref while an
     * ancestor of it lacked one), once the history is known complete in {@code objects}; with what
     * of the pack's objects ({@code received}) the walk never reached, so that {@link PackReach}
     * need not walk the same commits and trees again where its boundary is the same.
     */
    private PackReach.Walked newHistory(Repository objects, ObjectId tip, Set<ObjectId> received)
            throws BundleException, IOException {
        try (ObjectWalk walk = new ObjectWalk(objects)) {
            RevObject tipObject;
            try {
                tipObject = walk.parseAny(tip);
            } catch (MissingObjectException e) {
                throw new BundleException("bundle does not contain its tip " + tip.name(), e);
            }
            if (!(tipObject instanceof RevCommit tipCommit)) {
                throw new BundleException("bundle tip " + tip.name() + " is a "
                        + Constants.typeString(tipObject.getType()) + ", not a commit");
            }
            List<ObjectId> fresh = new ArrayList<>();
            Set<ObjectId> boundary = new HashSet<>();
            Set<ObjectId> unreached = new HashSet<>(received);
            try {
                walk.sort(RevSort.TOPO);
                walk.sort(RevSort.REVERSE, true);
                walk.markStart(tipCommit);
                List<RevCommit> held = heldBoundary(walk, tipCommit);
                // What a held commit reaches is complete here (its ref says so), so the walk is told
                // their parents are none of its business: JGit's walk would otherwise parse held
                // ancestors to carry the uninteresting mark on, one read from another pack each, and
                // where commit times tie (a quick chain) every held ancestor, an import costing
                // what the node ever held (docs/performance.md, "The held history walked").
                walk.assumeShallow(held);
                for (RevCommit heldCommit : held) {
                    walk.markUninteresting(heldCommit);
                    boundary.add(heldCommit.copy());
                }
                for (RevCommit commit = walk.next(); commit != null; commit = walk.next()) {
                    fresh.add(commit.copy());
                    unreached.remove(commit);
                }
                // ObjectWalk#checkConnectivity's pass over the trees and blobs, noting what it reaches.
                ObjectReader reader = walk.getObjectReader();
                for (RevObject o = walk.nextObject(); o != null; o = walk.nextObject()) {
                    if (o instanceof RevBlob && !reader.has(o)) {
                        throw new MissingObjectException(o, Constants.OBJ_BLOB);
                    }
                    unreached.remove(o);
                }
            } catch (MissingObjectException e) {
                throw new BundleException("bundle is incomplete: missing " + e.getMessage(), e);
            }
            return new PackReach.Walked(fresh, boundary, unreached);
        }
    }

    /** Removes the directory imports unpack into (the repository is closing). */
    void close() throws IOException {
        quarantines.close();
    }

    /** {@link NodeRepository#importFrom}: the workspace's commits enter the way a peer's do. */
    String importFrom(Path otherRepository, String commit) throws IOException {
        CommitId.require(commit, "commit");
        if (refs.has(commit)) {
            refs.markOwnLocked(ObjectId.fromString(commit));
            return commit;
        }
        try (Git other = Git.open(otherRepository.toFile()); RevWalk walk = new RevWalk(other.getRepository())) {
            RevCommit tip;
            try {
                tip = walk.parseCommit(ObjectId.fromString(commit));
            } catch (MissingObjectException e) {
                throw new IOException(otherRepository + " has no commit " + commit, e);
            }
            List<ObjectId> sharedHistory = new ArrayList<>();
            for (String held : refs.commits()) {
                ObjectId id = ObjectId.fromString(held);
                if (other.getRepository().getObjectDatabase().has(id)) {
                    sharedHistory.add(id);
                }
            }
            List<RevCommit> prerequisites = Prerequisites.select(walk, tip, sharedHistory);
            // The workspace's commits enter the way a peer's do, through the bundle checks.
            Path temp = TempBundles.create(TempBundles.IMPORT);
            try {
                try (OutputStream out = Files.newOutputStream(temp)) {
                    ServedBundles.writeBundle(other.getRepository(), tip, prerequisites, out);
                }
                String imported = importBundle(ReceivedBundle.of(temp), commit, Long.MAX_VALUE, PackLimits.NONE);
                refs.markOwnLocked(ObjectId.fromString(imported));
                return imported;
            } catch (BundleException e) {
                throw new IOException("commit " + commit + " from " + otherRepository + " refused: " + e.getMessage(), e);
            } finally {
                Files.deleteIfExists(temp);
            }
        }
    }

    /**
     * The held commits where the bundle's new history meets ours: walking back from the tip, each
     * path stops at the first commit with a ref. Everything reachable from a held commit is
     * complete (a ref is written only after that is checked), so only what lies before these
     * needs checking; the cost is what the bundle brought, not a listing of every ref held.
     *
     * @throws MissingObjectException when a parent is neither in the bundle nor held
     */
    private List<RevCommit> heldBoundary(ObjectWalk walk, RevCommit tip) throws IOException {
        List<RevCommit> boundary = new ArrayList<>();
        Deque<RevCommit> todo = new ArrayDeque<>(List.of(tip));
        Set<ObjectId> seen = new HashSet<>(List.of(tip));
        while (!todo.isEmpty()) {
            RevCommit commit = todo.pop();
            if (commit != tip && refs.hasRef(commit.name())) {
                boundary.add(commit);
                continue;
            }
            walk.parseHeaders(commit);
            for (RevCommit parent : commit.getParents()) {
                if (seen.add(parent)) {
                    todo.push(parent);
                }
            }
        }
        return boundary;
    }
}
