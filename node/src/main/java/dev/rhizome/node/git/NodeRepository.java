package dev.rhizome.node.git;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.storage.file.WindowCacheConfig;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

/**
 * The node's git store: a bare repository with one ref per commit held
 * ({@code refs/rhizome/commits/<id>}), so every commit stays reachable and can serve as a thin
 * bundle's prerequisite. Reads run concurrently (JGit repositories are thread-safe for reads);
 * everything that adds objects or refs runs under one lock, so an import's checks still hold when
 * it writes. The parts: {@link CommitRefs} (the refs and the lock), {@link BundleImport} (commits
 * coming in), {@link ServedBundles} (bundles going out) and {@link CommitCheckout} (a job's files).
 */
public final class NodeRepository implements AutoCloseable {
    static final String COMMIT_REFS = "refs/rhizome/commits/";
    /**
     * A second ref for each commit made here ({@link #commitFiles}) or imported from a local
     * workspace ({@link #importFrom}): the node's own commits, which a repository over its budget
     * never gives up, remembered across restarts and across the processes that share the directory.
     */
    static final String OWN_REFS = "refs/rhizome/own/";

    private final Repository repository;
    private final CommitRefs refs;
    private final CommitCheckout checkouts;
    private final ServedBundles bundles;
    private final BundleImport imports;

    private NodeRepository(Repository repository, BundleCache bundles, RepoSync.DirectoryForce force) {
        this.repository = repository;
        this.refs = new CommitRefs(repository, new RepoSync(repository.getDirectory().toPath(), force));
        this.checkouts = new CommitCheckout(repository, refs);
        this.bundles = new ServedBundles(repository, refs, bundles);
        this.imports = new BundleImport(repository, refs);
    }

    /** Opens the bare repository at {@code dir}, creating it if missing; bundles are cached beside it. */
    public static NodeRepository open(Path dir) throws IOException {
        return open(dir, RepoSync.DISK);
    }

    /** As {@link #open(Path)}, its directories forced through {@code force} (a test records their order). */
    static NodeRepository open(Path dir, RepoSync.DirectoryForce force) throws IOException {
        NoGitBinary.install();
        Path absolute = dir.toAbsolutePath();
        UnmadeRepository.clear(absolute); // a first start killed while JGit made it
        Repository repository = new FileRepositoryBuilder().setGitDir(absolute.toFile()).setBare().build();
        if (!repository.getObjectDatabase().exists()) {
            repository.create(true);
        }
        RepoSync.enable(repository);
        ensurePackedRefsFile(absolute);
        // A kill -9 mid-write leaves locks and temporary files that would fail or silence every
        // later write of the same kind (see both classes); nothing a person should have to delete.
        List<Path> locks = StaleRefLock.clearAll(absolute);
        if (!locks.isEmpty()) {
            org.slf4j.LoggerFactory.getLogger(NodeRepository.class).warn(
                    "removed {} ref lock(s) a process killed mid-write left in {}", locks.size(), absolute);
        }
        StaleGcLock.clear(absolute);
        Quarantine.removeAbandoned(absolute, StaleGcLock.IMPORT_AGE);
        NodeRepository opened = new NodeRepository(repository,
                new BundleCache(absolute.resolveSibling(absolute.getFileName() + ".bundles")), force);
        opened.refs.learnHeld();
        // what a process killed between its writes and their forces left in the page cache is on
        // disk before this one tells anyone it holds a commit a ref found here names
        opened.refs.sync().atOpen();
        return opened;
    }

    /**
     * Creates an empty {@code packed-refs} (git's "no packed refs") where there is none. JGit looks
     * there on every ref look-up that finds no loose file (any commit not yet held, and each new
     * ref): a file it has read costs one stat to check, while a missing one is looked for afresh
     * each time (two stats, an open and another stat). Created only if absent, so refs another
     * process packed are never overwritten, and any later change to it is seen by that stat.
     */
    private static void ensurePackedRefsFile(Path gitDir) throws IOException {
        Path packedRefs = gitDir.resolve(Constants.PACKED_REFS);
        if (!Files.exists(packedRefs)) {
            try {
                Files.createFile(packedRefs);
            } catch (FileAlreadyExistsException e) {
                // another instance made it first: the same empty file, or refs it packed
            }
        }
    }

    Repository repository() {
        return repository;
    }

    /**
     * True when the commit is held: it has its own ref, written by this instance or another on the
     * same directory (so it can be a prerequisite). A ref is written only once the commit's history
     * is known complete here, and its ancestors' refs before it (see {@link BundleImport}), so a
     * commit without one is at most half imported: objects unpacked by an import still running, or
     * cut short, which a later import of it completes. No listing of every ref held, which a commit
     * caught in that state used to cost on every look-up.
     */
    public boolean has(String commit) {
        return refs.has(commit);
    }

    /**
     * At most {@code max} held commits, the most recently held first (those held at open in no
     * particular order, after every commit held since). What a fetch lists as held, so that the
     * holder can send a thin bundle: the commits a new one builds on are most likely recent ones.
     */
    public List<String> recentCommits(int max) {
        return refs.recentCommits(max);
    }

    /** Every commit held, sorted. */
    public List<String> commits() {
        return refs.commits();
    }

    /** Commits made here or imported from a local workspace (see {@link #OWN_REFS}), sorted. */
    public Set<String> ownCommits() {
        return refs.ownCommits();
    }

    /** The lock every write of objects or refs takes; the compactor holds it while it drops refs and repacks. */
    ReentrantLock writeLock() {
        return refs.writeLock();
    }

    /** Under {@link #writeLock}: {@code commit}'s ref is about to go; {@link #has} must stop answering yes from memory. */
    void forget(String commit) {
        refs.forget(commit);
    }

    /** Under {@link #writeLock}: refs were dropped; on disk before the repack deletes what they held. */
    void refsDropped() throws IOException {
        refs.sync().refsDropped();
    }

    /** Under {@link #writeLock}: a repack's new pack was renamed into {@code objects/pack}; on disk before the old ones go. */
    void packsMoved() throws IOException {
        refs.sync().packsMoved();
    }

    /**
     * Commits {@code changes} (path to new content; null deletes) on top of {@code parent}, or as a
     * root commit when parent is null, without a working copy. Returns the new commit's id.
     */
    public String commitFiles(String parent, Map<String, byte[]> changes, String message, PersonIdent author)
            throws IOException {
        changes.keySet().forEach(GitPaths::requireSafe);
        refs.writeLock().lock();
        try (NotingInserter inserter = new NotingInserter(repository.newObjectInserter());
             ObjectReader reader = inserter.newReader();
             RevWalk walk = new RevWalk(reader)) {
            RevCommit parentCommit = parent == null ? null : walk.parseCommit(refs.requireHeld(parent));
            ObjectId tree = TreeEditor.apply(inserter, reader,
                    parentCommit == null ? null : parentCommit.getTree(), changes);
            CommitBuilder commit = new CommitBuilder();
            commit.setTreeId(tree);
            if (parentCommit != null) {
                commit.setParentId(parentCommit);
            }
            commit.setAuthor(author);
            commit.setCommitter(author);
            commit.setMessage(message);
            ObjectId id = inserter.insert(commit);
            inserter.flush();
            refs.sync().looseWritten(inserter.inserted());  // the objects on disk before a ref names them
            refs.createRef(id);
            refs.sync().refsWritten(COMMIT_REFS);
            refs.markOwn(id);
            return id.name();
        } finally {
            refs.writeLock().unlock();
        }
    }

    /** A file read whole ({@link #readFile}) at most: JGit's own default, before the stream threshold was lowered. */
    private static final int READ_WHOLE_BYTES = 50 << 20;

    public Optional<byte[]> readFile(String commit, String path) throws IOException {
        try (RevWalk walk = new RevWalk(repository)) {
            RevCommit c = walk.parseCommit(refs.requireHeld(commit));
            try (TreeWalk tree = TreeWalk.forPath(repository, GitPaths.requireSafe(path), c.getTree())) {
                if (tree == null || !CommitCheckout.isFile(tree.getFileMode(0))) {
                    return Optional.empty();
                }
                return Optional.of(repository.open(tree.getObjectId(0), Constants.OBJ_BLOB).getBytes(READ_WHOLE_BYTES));
            }
        }
    }

    /** Every file of the commit's tree, by path. */
    public SortedMap<String, byte[]> readFiles(String commit) throws IOException {
        SortedMap<String, byte[]> files = new TreeMap<>();
        try (RevWalk walk = new RevWalk(repository); TreeWalk tree = new TreeWalk(repository)) {
            tree.addTree(walk.parseCommit(refs.requireHeld(commit)).getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                if (CommitCheckout.isFile(tree.getFileMode(0))) {
                    files.put(tree.getPathString(), repository.open(tree.getObjectId(0), Constants.OBJ_BLOB).getBytes());
                }
            }
        }
        return files;
    }

    /** The first parent, or empty for a root commit. */
    public Optional<String> parentOf(String commit) throws IOException {
        try (RevWalk walk = new RevWalk(repository)) {
            RevCommit c = walk.parseCommit(refs.requireHeld(commit));
            return c.getParentCount() == 0 ? Optional.empty() : Optional.of(c.getParent(0).name());
        }
    }

    /** Paths whose content or mode differ between the two commits' trees (added and deleted included). */
    public Set<String> changedPaths(String from, String to) throws IOException {
        Set<String> paths = new TreeSet<>();
        try (RevWalk walk = new RevWalk(repository); TreeWalk tree = new TreeWalk(repository)) {
            tree.addTree(walk.parseCommit(refs.requireHeld(from)).getTree());
            tree.addTree(walk.parseCommit(refs.requireHeld(to)).getTree());
            tree.setRecursive(true);
            tree.setFilter(TreeFilter.ANY_DIFF);
            while (tree.next()) {
                paths.add(tree.getPathString());
            }
        }
        return paths;
    }

    /**
     * Writes the commit's files into {@code dir}, which must be new or empty; no .git. Symbolic links
     * and submodules are refused: code from strangers must not point outside its checkout.
     */
    public void checkout(String commit, Path dir) throws IOException {
        checkout(commit, dir, Long.MAX_VALUE, Integer.MAX_VALUE);
    }

    /**
     * As {@link #checkout(String, Path)}, but refuses ({@link CheckoutTooLargeException}), before
     * writing anything, a commit with more than {@code maxFiles} files or more than {@code maxBytes}
     * of them: a bundle of a few MiB can hold a blob that inflates to gigabytes (zlib, deltas) and a
     * tree naming it thousands of times, so what a checkout writes is not bounded by what was fetched.
     * The sizes are the objects' headers, read without inflating them.
     */
    public void checkout(String commit, Path dir, long maxBytes, int maxFiles) throws IOException {
        checkouts.write(commit, dir, maxBytes, maxFiles);
    }

    /**
     * A bundle whose only ref is {@code tip}, thin against those of {@code peerHas} that we hold and
     * that are ancestors of tip (reduced to the nearest ones); full when there are none. Cached on disk; past
     * {@link ServedBundles#MAX_VARIANTS} bundles of tip, one already cached that the asker can import.
     */
    public BundleFile bundle(String tip, Collection<String> peerHas) throws IOException {
        return bundles.bundle(tip, peerHas);
    }

    /**
     * The bundle of {@code tip} whose SHA-256 is {@code sha256}, if this node can serve exactly that
     * one: a bundle it received and kept, or the one it makes for {@code peerHas}. Empty otherwise,
     * or when tip is not held.
     */
    public Optional<BundleFile> bundleWithDigest(String tip, Collection<String> peerHas, byte[] sha256) throws IOException {
        return bundles.bundleWithDigest(tip, peerHas, sha256);
    }

    /**
     * Keeps a bundle received from a peer, after {@link #importBundle} accepted it, as the one this
     * node serves for its tip and prerequisites: every holder downstream then serves the same bytes.
     * The file is moved into the cache (renamed where it can be), so {@code bundle} is gone afterwards.
     */
    public BundleFile keepReceivedBundle(Path bundle, String tip) throws IOException {
        return keepReceivedBundle(bundle, tip, null);
    }

    /** As {@link #keepReceivedBundle(Path, String)}, with the digests computed as it arrived (null: hashed here). */
    public BundleFile keepReceivedBundle(Path bundle, String tip, PieceDigests.Result digests) throws IOException {
        return bundles.keep(bundle, tip, digests);
    }

    /** As {@link #keepReceivedBundle(Path, String)}, for a bundle received into memory: written to the cache. */
    public BundleFile keepReceivedBundle(byte[] bundle, String tip) throws IOException {
        return keepReceivedBundle(bundle, tip, null);
    }

    /** As {@link #keepReceivedBundle(byte[], String)}, with the digests computed as it arrived (null: hashed here). */
    public BundleFile keepReceivedBundle(byte[] bundle, String tip, PieceDigests.Result digests) throws IOException {
        return bundles.keep(bundle, tip, digests);
    }

    static {
        // JGit reads an object under this size whole into memory (50 MiB unless told): on the
        // node's heap of 64 MiB, writing a bundle of one 20 MiB file ran out of memory. Larger
        // objects stream (to a checkout, into a pack); a tree, which JGit reads whole, is refused at
        // import past the same bound (PackLimits). JGit's cache configuration is the process's.
        WindowCacheConfig cache = new WindowCacheConfig();
        cache.setStreamFileThreshold((int) Math.min(cache.getStreamFileThreshold(), Math.max(1 << 20, PackLimits.PEERS.maxHeldBytes())));
        cache.install();
    }

    /**
     * Imports a bundle received from a peer, which may lie. Everything that can be judged from the
     * header is checked before the repository is touched: size, a single ref naming the expected
     * tip, prerequisites held. JGit then checks every object as it unpacks, and we check that the
     * tip is a commit whose history is complete before any ref points at it. Returns the tip.
     */
    public String importBundle(Path bundle, String expectedTip, long maxBytes) throws BundleException, IOException {
        return imports.importBundle(ReceivedBundle.of(bundle), expectedTip, maxBytes, PackLimits.PEERS);
    }

    /** As {@link #importBundle(Path, String, long)}, for a bundle received into memory. */
    public String importBundle(byte[] bundle, String expectedTip, long maxBytes) throws BundleException, IOException {
        return imports.importBundle(ReceivedBundle.of(bundle), expectedTip, maxBytes, PackLimits.PEERS);
    }

    /** Fetches {@code commit} and its history from another local repository (an agent's workspace). */
    public String importFrom(Path otherRepository, String commit) throws IOException {
        return imports.importFrom(otherRepository, commit);
    }

    /**
     * Removes the pack and index files JGit was writing when its process was killed in the middle of
     * an import ({@code objects/incoming_*}, and the {@link Quarantine}s): never renamed into place, so never read, only taking
     * disk. Only files older than {@code olderThan}, since another process (an agent's
     * {@code rhizome} command) may be importing right now. Returns the bytes freed.
     */
    public long removeAbandonedImports(Duration olderThan) throws IOException {
        Path objects = repository.getDirectory().toPath().resolve("objects");
        long cutoff = System.currentTimeMillis() - olderThan.toMillis();
        long freed = Quarantine.removeAbandoned(repository.getDirectory().toPath(), olderThan);
        try (DirectoryStream<Path> incoming = Files.newDirectoryStream(objects, "incoming_*.{pack,idx}")) {
            for (Path file : incoming) {
                try {
                    if (Files.getLastModifiedTime(file).toMillis() < cutoff) {
                        long size = Files.size(file);
                        Files.delete(file);
                        freed += size;
                    }
                } catch (NoSuchFileException gone) {
                    // renamed into place or removed by its writer meanwhile
                }
            }
        }
        return freed;
    }

    /** Prunes the cache of bundles served to peers to {@code maxBytes}, oldest first; the bytes freed. */
    public long pruneBundleCache(long maxBytes) throws IOException {
        return bundles.prune(maxBytes, Set.of());
    }

    /**
     * Prunes the cache of bundles (built to serve, or received and kept) to {@code maxBytes}, oldest
     * first, never deleting a bundle whose tip is in {@code wanted}; the bytes freed.
     */
    public long pruneBundleCache(long maxBytes, Set<String> wanted) throws IOException {
        return bundles.prune(maxBytes, wanted);
    }

    @Override
    public void close() {
        try {
            imports.close();
        } catch (IOException e) {
            // a quarantine left behind is removed by the next open (Quarantine#removeAbandoned)
            org.slf4j.LoggerFactory.getLogger(NodeRepository.class).warn("cannot remove the import quarantine of {}: {}",
                    repository.getDirectory(), e.getMessage());
        } finally {
            repository.close();
        }
    }
}
