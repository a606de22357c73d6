package dev.rhizome.node.git;

import static dev.rhizome.node.git.NodeRepository.COMMIT_REFS;
import static dev.rhizome.node.git.NodeRepository.OWN_REFS;

import dev.rhizome.protocol.CommitId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jgit.internal.storage.file.LockFile;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;

/**
 * The refs of a {@link NodeRepository}: one per commit held ({@link NodeRepository#COMMIT_REFS}),
 * written only once the commit's history is complete here, and one per commit of the node's own
 * ({@link NodeRepository#OWN_REFS}); which commits are held, answered from memory where it can be;
 * and the lock every write of objects or refs takes.
 */
final class CommitRefs {
    private final Repository repository;
    private final RepoSync sync;
    private final ReentrantLock writes = new ReentrantLock();
    /**
     * Commits this instance knows to have a ref. Refs are removed only by this instance's
     * {@link RepoCompactor} (under {@link #writes}, which forgets them here first), so a commit seen
     * here stays held until then; {@link #has} answers from it without JGit's look-up of the loose
     * ref and {@code packed-refs} (several file system calls, hundreds of times a fetch). A ref
     * another instance wrote is found by the look-up and remembered.
     */
    private final Set<String> refed = ConcurrentHashMap.newKeySet();
    /** The same commits in the order this instance came to know them, the newest last. */
    private final ConcurrentLinkedDeque<String> learned = new ConcurrentLinkedDeque<>();
    /** Commits given up most lately, under {@link #writes}: see {@link BundleImport}. */
    private final Set<String> givenUp = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > GIVEN_UP_REMEMBERED;
        }
    });
    /** More than a repository gives up in the time a fetch takes. */
    static final int GIVEN_UP_REMEMBERED = 10_000;

    CommitRefs(Repository repository, RepoSync sync) {
        this.sync = sync;
        this.repository = repository;
    }

    /**
     * True when the commit is held: it has its own ref, written by this instance or another on the
     * same directory (so it can be a prerequisite). A ref is written only once the commit's history
     * is known complete here, and its ancestors' refs before it (see {@link BundleImport}), so a
     * commit without one is at most half imported: objects unpacked by an import still running, or
     * cut short, which a later import of it completes. No listing of every ref held, which a commit
     * caught in that state used to cost on every look-up.
     */
    boolean has(String commit) {
        if (!CommitId.isValid(commit)) {
            return false;
        }
        try {
            return hasRef(commit);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read refs of " + repository.getDirectory(), e);
        }
    }

    /**
     * At most {@code max} held commits, the most recently held first (those held at open in no
     * particular order, after every commit held since). What a fetch lists as held, so that the
     * holder can send a thin bundle: the commits a new one builds on are most likely recent ones.
     */
    List<String> recentCommits(int max) {
        List<String> recent = new ArrayList<>(Math.min(max, refed.size()));
        for (var it = learned.descendingIterator(); it.hasNext() && recent.size() < max; ) {
            recent.add(it.next());
        }
        return recent;
    }

    /** Every commit held, sorted. */
    List<String> commits() {
        try {
            return repository.getRefDatabase().getRefsByPrefix(COMMIT_REFS).stream()
                    .map(ref -> ref.getName().substring(COMMIT_REFS.length()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list refs of " + repository.getDirectory(), e);
        }
    }

    /** Whether {@code commit} has its own ref, written by this instance or another on the same directory. */
    boolean hasRef(String commit) throws IOException {
        if (refed.contains(commit)) {
            return true;
        }
        if (repository.exactRef(COMMIT_REFS + commit) != null) {
            learn(commit);
            return true;
        }
        return false;
    }

    /** What forces this repository's directories. */
    RepoSync sync() {
        return sync;
    }

    /**
     * Under {@link #writes}: {@code commit}'s own ref, once its history is known complete here; the
     * file forced, its directory left to the caller, once for all the refs it writes
     * ({@link RepoSync#refsWritten}).
     */
    void createRef(ObjectId commit) throws IOException {
        RefUpdate.Result result = StaleRefLock.update(repository.getDirectory().toPath(), COMMIT_REFS + commit.name(),
                () -> newRef(commit));
        if (result == RefUpdate.Result.LOCK_FAILURE) {
            Ref made = repository.exactRef(COMMIT_REFS + commit.name());
            if (made != null && commit.equals(made.getObjectId())) {
                result = RefUpdate.Result.NO_CHANGE; // another instance on this directory made it first
            }
        }
        if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.NO_CHANGE) {
            throw new IOException("cannot create ref for " + commit.name() + ": " + result);
        }
        learn(commit.name());
    }

    /** Commits made here or imported from a local workspace (see {@link NodeRepository#OWN_REFS}), sorted. */
    Set<String> ownCommits() {
        try {
            Set<String> own = new TreeSet<>();
            for (Ref ref : repository.getRefDatabase().getRefsByPrefix(OWN_REFS)) {
                own.add(ref.getName().substring(OWN_REFS.length()));
            }
            return own;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list refs of " + repository.getDirectory(), e);
        }
    }

    /** {@link #markOwn} under the write lock. */
    void markOwnLocked(ObjectId commit) throws IOException {
        writes.lock();
        try {
            markOwn(commit);
        } finally {
            writes.unlock();
        }
    }

    /** Under {@link #writes}: the commit is this node's own. */
    void markOwn(ObjectId commit) throws IOException {
        RefUpdate.Result result = StaleRefLock.update(repository.getDirectory().toPath(), OWN_REFS + commit.name(), () -> {
            RefUpdate update = repository.updateRef(OWN_REFS + commit.name());
            update.setNewObjectId(commit);
            update.disableRefLog();
            return update.update();
        });
        if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.NO_CHANGE
                && result != RefUpdate.Result.FAST_FORWARD && result != RefUpdate.Result.FORCED) {
            throw new IOException("cannot mark " + commit.name() + " as made here: " + result);
        }
        sync.refsWritten(NodeRepository.OWN_REFS);
    }

    /** The lock every write of objects or refs takes; the compactor holds it while it drops refs and repacks. */
    ReentrantLock writeLock() {
        return writes;
    }

    /** Under {@link #writes}: {@code commit}'s ref is about to go; {@link #has} must stop answering yes from memory. */
    void forget(String commit) {
        givenUp.add(commit);
        if (refed.remove(commit)) {
            learned.remove(commit);
        }
    }

    /**
     * Writes {@code commit}'s own ref as a loose ref, through JGit's lock file as its ref update
     * does. Not through a {@link RefUpdate}: for a ref that does not exist yet it looked the name up
     * twice, the second time by every abbreviation prefix ({@code refs/}, {@code refs/tags/}, ...),
     * each a failed open with an exception's stack (docs/performance.md, "Where one import's CPU
     * goes"), to learn an old value that cannot differ: the ref's name is the commit's id, so any
     * writer of it writes the same value, and a second writer's rename only puts it there again.
     * The caller looked it up once already ({@link #hasRef}); a stale lock is cleared by
     * {@link StaleRefLock} as for any ref.
     */
    private RefUpdate.Result newRef(ObjectId commit) throws IOException {
        LockFile lock = new LockFile(repository.getDirectory().toPath().resolve(COMMIT_REFS + commit.name()).toFile());
        if (!lock.lock()) {
            return RefUpdate.Result.LOCK_FAILURE;
        }
        try {
            lock.setFSync(RepoSync.refFilesForced(repository));  // as JGit's own ref updates do
            lock.write(commit);
            return lock.commit() ? RefUpdate.Result.NEW : RefUpdate.Result.LOCK_FAILURE;
        } finally {
            lock.unlock();
        }
    }

    private void learn(String commit) {
        if (refed.add(commit)) {
            learned.addLast(commit);
        }
    }

    ObjectId requireHeld(String commit) throws IOException {
        if (!has(commit)) {
            throw new IOException("commit " + commit + " is not held in " + repository.getDirectory());
        }
        return ObjectId.fromString(commit);
    }

    /** Under {@link #writes}: whether {@code commit} was given up lately (see {@link #GIVEN_UP_REMEMBERED}). */
    boolean givenUpLately(String commit) {
        return givenUp.contains(commit);
    }

    /** Remembers every commit held at open ({@link #has} then answers them from memory). */
    void learnHeld() {
        commits().forEach(this::learn);
    }
}
