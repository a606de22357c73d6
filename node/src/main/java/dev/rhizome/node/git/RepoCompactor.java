package dev.rhizome.node.git;

import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.JGitText;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.GC;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.EmptyProgressMonitor;
import org.eclipse.jgit.lib.GcConfig;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.ObjectWalk;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node's repository small and quick: past {@code maxPacks} packs (each bundle import adds
 * one, and every object look-up searches them all) it repacks them into one; over its byte budget
 * it first gives up held commits ({@link PrunePlan}: relay-only before kept-for-neighbours, never
 * its own or what the work wants), then repacks without them, so their objects go.
 *
 * <p>Both run JGit's {@link GC} (no git binary), under the repository's write lock: an import of
 * this process holds that lock from its prerequisite check to its last ref, so it never sees a
 * prerequisite's ref vanish mid-import, and GC never sees a pack whose refs are not written yet.
 * JGit's GC reads the refs once and deletes every old pack not kept, so without the lock an import
 * finishing during a repack would lose its objects. Other processes on the same directory (an
 * agent's {@code rhizome} command importing its workspace) take no such lock: for them GC leaves
 * alone every pack and loose object younger than {@code expiry}, longer than any import. Refs
 * are left loose (JGit's GC would otherwise pack them all into one file, which every drop of one
 * ref rewrites), and objects no longer reachable are dropped with their old packs, never loosened
 * first (which would write them all out once more as loose files before a later GC could go).
 */
public final class RepoCompactor {
    private static final Logger log = LoggerFactory.getLogger(RepoCompactor.class);
    /** Packs at most before a repack. */
    public static final int DEFAULT_MAX_PACKS = 50;
    /** Packs and loose objects younger than this are never deleted by GC: another process may be importing them. */
    public static final Duration DEFAULT_EXPIRY = Duration.ofMinutes(10);
    /** Rounds of drop-and-repack one prune makes at most: sizes are estimated (inflated bytes), the next pass does the rest. */
    static final int MAX_ROUNDS = 3;

    /** What the repository's objects take: packs and bytes (packs, indexes, loose objects). */
    public record Usage(int packs, long bytes) {
    }

    /** One compaction's outcome: the commits given up, in the order they went. */
    public record Outcome(Usage before, Usage after, List<String> dropped, boolean repacked, long millis) {
        public Outcome {
            dropped = List.copyOf(dropped);
        }

        static Outcome nothing(Usage usage) {
            return new Outcome(usage, usage, List.of(), false, 0);
        }
    }

    private final NodeRepository repository;
    private final Duration expiry;

    public RepoCompactor(NodeRepository repository) {
        this(repository, DEFAULT_EXPIRY);
    }

    public RepoCompactor(NodeRepository repository, Duration expiry) {
        this.repository = repository;
        this.expiry = expiry;
    }

    /** Packs and bytes under {@code objects/} now. */
    public Usage usage() throws IOException {
        Path objects = repository.repository().getDirectory().toPath().resolve("objects");
        int packs = 0;
        long bytes = 0;
        try (Stream<Path> files = Files.walk(objects)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                try {
                    if (Files.isRegularFile(file)) {
                        bytes += Files.size(file);
                        if (file.getFileName().toString().endsWith(".pack")) {
                            packs++;
                        }
                    }
                } catch (NoSuchFileException gone) {
                    // removed by a repack meanwhile
                }
            }
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw e.getCause();
            }
        }
        return new Usage(packs, bytes);
    }

    /** Repacks into one pack when there are more than {@code maxPacks}; else nothing. */
    public Outcome repackIfNeeded(int maxPacks) throws IOException {
        Usage before = usage();
        if (before.packs() <= maxPacks) {
            return Outcome.nothing(before);
        }
        return locked(() -> {
            long start = System.nanoTime();
            repack();
            Outcome outcome = new Outcome(before, usage(), List.of(), true, (System.nanoTime() - start) / 1_000_000);
            logRepack(outcome);
            return outcome;
        });
    }

    /**
     * Brings the repository to {@code budgetBytes} when it is over: gives up held commits
     * ({@link PrunePlan}), never those in {@code protect} (the work's) or made here, keeping those in
     * {@code kept} (kept for neighbours) until no relay-only commit is left, then repacks so their
     * objects go. Up to {@link #MAX_ROUNDS} rounds; what it cannot free (own and wanted commits
     * take more than the budget) stays, and is logged.
     */
    public Outcome prune(long budgetBytes, Set<String> protect, Set<String> kept) throws IOException {
        return prune(budgetBytes, protect, kept, commits -> { });
    }

    /**
     * As {@link #prune(long, Set, Set)}, telling {@code beforeDrop} which commits go just before
     * their refs do, under the write lock: the gossip core stops counting them as held first, so
     * a work fetch asked meanwhile fetches them again (its import waits for the lock, then finds
     * them gone and imports them anew) instead of waiting on a commit the core thinks is here.
     */
    public Outcome prune(long budgetBytes, Set<String> protect, Set<String> kept, Consumer<List<String>> beforeDrop)
            throws IOException {
        Usage first = usage();
        if (first.bytes() <= budgetBytes) {
            return Outcome.nothing(first);
        }
        return locked(() -> {
            long start = System.nanoTime();
            Usage now = first;
            List<String> dropped = new ArrayList<>();
            boolean repacked = false;
            for (int round = 0; round < MAX_ROUNDS && now.bytes() > budgetBytes; round++) {
                List<String> drop = plan(protect, kept).drop(now.bytes() - budgetBytes, this::exclusiveBytes);
                if (drop.isEmpty() && repacked) {
                    break;
                }
                if (!drop.isEmpty()) {
                    beforeDrop.accept(drop);
                }
                dropRefs(drop);
                dropped.addAll(drop);
                if (!drop.isEmpty()) {
                    CrashPoints.at(CrashPoints.REFS_DROPPED);
                }
                repack();
                repacked = true;
                now = usage();
                if (drop.isEmpty()) {
                    break;
                }
            }
            Outcome outcome = new Outcome(first, now, dropped, repacked, (System.nanoTime() - start) / 1_000_000);
            logRepack(outcome);
            if (now.bytes() > budgetBytes) {
                log.warn("repository still takes {} MiB, over its {} MiB budget: the rest is this node's own commits, "
                        + "what its work wants, and what is too young to delete", now.bytes() >> 20, budgetBytes >> 20);
            }
            return outcome;
        });
    }

    private interface Locked {
        Outcome run() throws IOException;
    }

    private Outcome locked(Locked body) throws IOException {
        repository.writeLock().lock();
        try {
            return body.run();
        } finally {
            repository.writeLock().unlock();
        }
    }

    private static void logRepack(Outcome o) {
        log.info("repacked the repository: {} packs, {} KiB -> {} packs, {} KiB{} in {} ms", o.before().packs(),
                o.before().bytes() >> 10, o.after().packs(), o.after().bytes() >> 10,
                o.dropped().isEmpty() ? "" : " (" + o.dropped().size() + " commits given up)", o.millis());
    }

    /** Under the write lock: the plan over every held commit. */
    private PrunePlan plan(Set<String> protect, Set<String> kept) throws IOException {
        Repository repo = repository.repository();
        Map<String, List<String>> parents = new HashMap<>();
        Map<String, Long> heldSince = new HashMap<>();
        Path refs = repo.getDirectory().toPath().resolve(NodeRepository.COMMIT_REFS);
        try (RevWalk walk = new RevWalk(repo)) {
            for (String commit : repository.commits()) {
                RevCommit c = walk.parseCommit(ObjectId.fromString(commit));
                List<String> ps = new ArrayList<>(c.getParentCount());
                for (RevCommit p : c.getParents()) {
                    ps.add(p.name());
                }
                parents.put(commit, ps);
                heldSince.put(commit, heldSince(refs.resolve(commit), c));
            }
        }
        Set<String> never = new HashSet<>(protect);
        never.addAll(repository.ownCommits());
        return new PrunePlan(parents, heldSince, never, kept);
    }

    /** When the commit's ref was written (its loose file's time), else its commit time. */
    private static long heldSince(Path ref, RevCommit commit) {
        try {
            return Files.getLastModifiedTime(ref).toMillis();
        } catch (IOException packed) {
            return commit.getCommitTime() * 1000L;
        }
    }

    /** Inflated bytes of the objects {@code commit} adds to its parents: about what giving it up frees. */
    private long exclusiveBytes(String commit) {
        Repository repo = repository.repository();
        try (ObjectReader reader = repo.newObjectReader(); ObjectWalk walk = new ObjectWalk(reader)) {
            RevCommit c = walk.parseCommit(ObjectId.fromString(commit));
            walk.markStart(c);
            for (RevCommit p : c.getParents()) {
                walk.markUninteresting(walk.parseCommit(p));
            }
            long bytes = 0;
            for (RevCommit seen = walk.next(); seen != null; seen = walk.next()) {
                bytes += reader.getObjectSize(seen, Constants.OBJ_COMMIT);
            }
            for (RevObject o = walk.nextObject(); o != null; o = walk.nextObject()) {
                bytes += reader.getObjectSize(o, ObjectReader.OBJ_ANY);
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot size commit " + commit, e);
        }
    }

    /**
     * Under the write lock: the refs go in the plan's order, children before their parents, so no
     * commit is ever left with a ref while an ancestor has none, even if this stops half way.
     */
    private void dropRefs(List<String> commits) throws IOException {
        Repository repo = repository.repository();
        for (String commit : commits) {
            repository.forget(commit);
            RefUpdate.Result result = StaleRefLock.update(repo.getDirectory().toPath(), NodeRepository.COMMIT_REFS + commit,
                    () -> {
                        RefUpdate update = repo.updateRef(NodeRepository.COMMIT_REFS + commit);
                        update.setForceUpdate(true);
                        update.disableRefLog();
                        return update.delete();
                    });
            if (result != RefUpdate.Result.FORCED && result != RefUpdate.Result.NO_CHANGE
                    && result != RefUpdate.Result.NEW) {
                throw new IOException("cannot drop the ref of " + commit + ": " + result);
            }
        }
        if (!commits.isEmpty()) {
            repository.refsDropped();
        }
    }

    /** Under the write lock: every reachable object into one pack, old packs (older than the expiry) and unreachable loose objects deleted. */
    private void repack() throws IOException {
        Repository repo = repository.repository();
        // "now" only tells GC not to loosen what old packs hold beyond the new one; what it deletes is
        // bounded by the expiry set below.
        repo.getConfig().setString(ConfigConstants.CONFIG_GC_SECTION, null, ConfigConstants.CONFIG_KEY_PRUNEEXPIRE, "now");
        // A gc.pid left by a repack killed since the open would make this one silently do nothing.
        StaleGcLock.clear(repo.getDirectory().toPath());
        GC gc = new GC((FileRepository) repo);
        gc.setGcConfig(new GcConfig(GcConfig.PackRefsMode.FALSE));
        Instant cutoff = Instant.now().minus(expiry);
        gc.setExpire(cutoff);
        gc.setPackExpire(cutoff);
        DurableRepack durable = new DurableRepack(repo.getDirectory().toPath().resolve("objects").resolve("pack"),
                repository::packsMoved);
        gc.setProgressMonitor(durable);
        try {
            gc.gc().get();
            durable.finish();
        } catch (Exception e) {
            if (durable.failure() != null) {  // the GC cancelled by it, however JGit reports that
                throw new IOException("repacking " + repo.getDirectory() + ": cannot force its new pack to disk, "
                        + "so nothing old was deleted: " + durable.failure().getMessage(), durable.failure());
            }
            throw failed(repo, e);
        }
    }

    private static IOException failed(Repository repo, Exception e) {
        if (e instanceof ExecutionException x) {
            return new IOException("repacking " + repo.getDirectory() + ": " + x.getCause(), x.getCause());
        }
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
            return new IOException("repacking " + repo.getDirectory() + " interrupted", e);
        }
        return new IOException("repacking " + repo.getDirectory() + ": " + e, e);
    }

    /** Forces {@code objects/pack}'s entries to disk. */
    @FunctionalInterface
    interface PackDirectoryForce {
        void force() throws IOException;
    }

    /**
     * JGit's GC, watched through its progress monitor, made durable: GC forces the pack files it
     * writes but never {@code objects/pack}, whose entries its renames of the new pack and index
     * are, and then deletes the old packs and the loose objects the new pack holds; a power loss
     * after those deletions reached the disk and before the renames did would leave the objects
     * nowhere. GC asks {@link #isCancelled} before it deletes anything (before each old pack it
     * looks at, and before each loose object directory it prunes): at the first such question
     * after a pack was written and renamed into place (its {@code gc_*_tmp} files gone), the pack
     * directory is forced; a force that fails cancels the GC, so nothing old is deleted. Also stops
     * a crash test's node at {@link CrashPoints#REPACK_WRITTEN} (the new pack whole in its
     * temporary file, nothing renamed) and {@link CrashPoints#REPACK_MOVED} (the new pack renamed
     * in and forced, nothing old deleted yet). Unarmed, those do nothing.
     */
    static final class DurableRepack extends EmptyProgressMonitor {
        private final Path packDir;
        private final PackDirectoryForce force;
        /** GC temporary files there before this GC began (a dead one's, not yet old enough to go): not this GC's. */
        private final Set<String> foreignTemporaries;
        private boolean writing;
        private boolean renamePending;
        private IOException failure;

        DurableRepack(Path packDir, PackDirectoryForce force) throws IOException {
            this.packDir = packDir;
            this.force = force;
            this.foreignTemporaries = gcTemporaries(packDir);
        }

        @Override
        public void beginTask(String title, int totalWork) {
            writing = JGitText.get().writingObjects.equals(title);
        }

        @Override
        public void endTask() {
            if (writing) {
                CrashPoints.at(CrashPoints.REPACK_WRITTEN);
                renamePending = true;
            }
            writing = false;
        }

        @Override
        public boolean isCancelled() {
            if (failure != null) {
                return true;
            }
            if (!renamePending) {
                return false;
            }
            try {
                Set<String> temporaries = gcTemporaries(packDir);
                temporaries.removeAll(foreignTemporaries);
                if (!temporaries.isEmpty()) {
                    return false;  // asked while its index or bitmap is still being written: nothing renamed yet
                }
                force.force();
                renamePending = false;
            } catch (IOException e) {
                failure = e;
                return true;
            }
            CrashPoints.at(CrashPoints.REPACK_MOVED);
            return false;
        }

        /** After GC returned: a pack it renamed in with nothing asked after (no old pack, no loose object) is forced now. */
        void finish() throws IOException {
            if (renamePending) {
                force.force();
                renamePending = false;
            }
        }

        /** Why a force failed (and GC was cancelled), or null. */
        IOException failure() {
            return failure;
        }

        private static Set<String> gcTemporaries(Path packDir) throws IOException {
            Set<String> names = new HashSet<>();
            if (!Files.isDirectory(packDir)) {
                return names;
            }
            try (DirectoryStream<Path> s = Files.newDirectoryStream(packDir, "gc_*_tmp")) {
                s.forEach(p -> names.add(p.getFileName().toString()));
            }
            return names;
        }
    }

    /** Pack files under {@code objects/pack}, for tests. */
    static List<Path> packs(NodeRepository repository) throws IOException {
        List<Path> out = new ArrayList<>();
        Path dir = repository.repository().getDirectory().toPath().resolve("objects").resolve("pack");
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.pack")) {
                s.forEach(out::add);
            }
        }
        return out;
    }
}
