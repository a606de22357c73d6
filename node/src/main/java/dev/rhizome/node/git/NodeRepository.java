package dev.rhizome.node.git;

import dev.rhizome.node.job.JobText;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.ObjectWalk;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevSort;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.storage.file.WindowCacheConfig;
import org.eclipse.jgit.storage.pack.PackConfig;
import org.eclipse.jgit.transport.BundleWriter;
import org.eclipse.jgit.transport.PackParser;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

/**
 * The node's git store: a bare repository with one ref per commit held
 * ({@code refs/rhizome/commits/<id>}), so every commit stays reachable and can serve as a thin
 * bundle's prerequisite. Reads run concurrently (JGit repositories are thread-safe for reads);
 * everything that adds objects or refs runs under one lock, so an import's checks still hold when
 * it writes.
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
    private final BundleCache bundles;
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
    /** Commits given up most lately, under {@link #writes}: see {@link #checkPrerequisites}. */
    private final Set<String> givenUp = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > GIVEN_UP_REMEMBERED;
        }
    });
    /** More than a repository gives up in the time a fetch takes. */
    static final int GIVEN_UP_REMEMBERED = 10_000;

    private NodeRepository(Repository repository, BundleCache bundles) {
        this.repository = repository;
        this.bundles = bundles;
    }

    /** Opens the bare repository at {@code dir}, creating it if missing; bundles are cached beside it. */
    public static NodeRepository open(Path dir) throws IOException {
        NoGitBinary.install();
        Path absolute = dir.toAbsolutePath();
        UnmadeRepository.clear(absolute); // a first start killed while JGit made it
        Repository repository = new FileRepositoryBuilder().setGitDir(absolute.toFile()).setBare().build();
        if (!repository.getObjectDatabase().exists()) {
            repository.create(true);
        }
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
                new BundleCache(absolute.resolveSibling(absolute.getFileName() + ".bundles")));
        opened.commits().forEach(opened::learn);
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
     * is known complete here, and its ancestors' refs before it (see {@link #newHistory}), so a
     * commit without one is at most half imported: objects unpacked by an import still running, or
     * cut short, which a later import of it completes. No listing of every ref held, which a commit
     * caught in that state used to cost on every look-up.
     */
    public boolean has(String commit) {
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
    public List<String> recentCommits(int max) {
        List<String> recent = new ArrayList<>(Math.min(max, refed.size()));
        for (var it = learned.descendingIterator(); it.hasNext() && recent.size() < max; ) {
            recent.add(it.next());
        }
        return recent;
    }

    /** Every commit held, sorted. */
    public List<String> commits() {
        try {
            return repository.getRefDatabase().getRefsByPrefix(COMMIT_REFS).stream()
                    .map(ref -> ref.getName().substring(COMMIT_REFS.length()))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list refs of " + repository.getDirectory(), e);
        }
    }

    /**
     * Commits {@code changes} (path to new content; null deletes) on top of {@code parent}, or as a
     * root commit when parent is null, without a working copy. Returns the new commit's id.
     */
    public String commitFiles(String parent, Map<String, byte[]> changes, String message, PersonIdent author)
            throws IOException {
        changes.keySet().forEach(GitPaths::requireSafe);
        writes.lock();
        try (ObjectInserter inserter = repository.newObjectInserter();
             ObjectReader reader = inserter.newReader();
             RevWalk walk = new RevWalk(reader)) {
            RevCommit parentCommit = parent == null ? null : walk.parseCommit(requireHeld(parent));
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
            createRef(id);
            markOwn(id);
            return id.name();
        } finally {
            writes.unlock();
        }
    }

    /** A file read whole ({@link #readFile}) at most: JGit's own default, before the stream threshold was lowered. */
    private static final int READ_WHOLE_BYTES = 50 << 20;

    public Optional<byte[]> readFile(String commit, String path) throws IOException {
        try (RevWalk walk = new RevWalk(repository)) {
            RevCommit c = walk.parseCommit(requireHeld(commit));
            try (TreeWalk tree = TreeWalk.forPath(repository, GitPaths.requireSafe(path), c.getTree())) {
                if (tree == null || !isFile(tree.getFileMode(0))) {
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
            tree.addTree(walk.parseCommit(requireHeld(commit)).getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                if (isFile(tree.getFileMode(0))) {
                    files.put(tree.getPathString(), repository.open(tree.getObjectId(0), Constants.OBJ_BLOB).getBytes());
                }
            }
        }
        return files;
    }

    /** The first parent, or empty for a root commit. */
    public Optional<String> parentOf(String commit) throws IOException {
        try (RevWalk walk = new RevWalk(repository)) {
            RevCommit c = walk.parseCommit(requireHeld(commit));
            return c.getParentCount() == 0 ? Optional.empty() : Optional.of(c.getParent(0).name());
        }
    }

    /** Paths whose content or mode differ between the two commits' trees (added and deleted included). */
    public Set<String> changedPaths(String from, String to) throws IOException {
        Set<String> paths = new TreeSet<>();
        try (RevWalk walk = new RevWalk(repository); TreeWalk tree = new TreeWalk(repository)) {
            tree.addTree(walk.parseCommit(requireHeld(from)).getTree());
            tree.addTree(walk.parseCommit(requireHeld(to)).getTree());
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
        long bytes = 0;
        int files = 0;
        try (RevWalk walk = new RevWalk(repository); TreeWalk tree = new TreeWalk(repository);
                ObjectReader reader = repository.newObjectReader()) {
            tree.addTree(walk.parseCommit(requireHeld(commit)).getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                if (++files > maxFiles) {
                    throw new CheckoutTooLargeException("commit " + CommitId.abbreviate(commit) + " has more than "
                            + maxFiles + " files, more than this node gives a job");
                }
                checkWritable(commit, tree);
                if (isFile(tree.getFileMode(0))) {
                    bytes += reader.getObjectSize(tree.getObjectId(0), Constants.OBJ_BLOB);
                    if (bytes > maxBytes) {
                        throw new CheckoutTooLargeException("commit " + CommitId.abbreviate(commit)
                                + "'s files take more than " + (maxBytes >> 20) + " MiB, more than this node can give a job now");
                    }
                }
            }
        }
        Path root = dir.toAbsolutePath().normalize();
        if (Files.exists(root)) {
            try (Stream<Path> entries = Files.list(root)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException("checkout directory is not empty: " + root);
                }
            }
        }
        Files.createDirectories(root);
        try (RevWalk walk = new RevWalk(repository); TreeWalk tree = new TreeWalk(repository)) {
            tree.addTree(walk.parseCommit(requireHeld(commit)).getTree());
            tree.setRecursive(true);
            while (tree.next()) {
                FileMode mode = tree.getFileMode(0);
                String path = tree.getPathString();
                Path target = root.resolve(path).normalize();
                if (!target.startsWith(root)) {
                    throw new IOException("path escapes the checkout: " + shown(path));
                }
                Files.createDirectories(target.getParent());
                try (OutputStream out = Files.newOutputStream(target)) {
                    repository.open(tree.getObjectId(0), Constants.OBJ_BLOB).copyTo(out);
                }
                if (mode == FileMode.EXECUTABLE_FILE && !target.toFile().setExecutable(true, false)) {
                    throw new IOException("cannot make " + target + " executable");
                }
            }
        }
    }

    /**
     * Refuses, before a checkout writes anything, an entry it must not write: a symbolic link or a
     * submodule, a path {@link GitPaths} refuses, or one longer than {@link TreeNames#MAX_PATH_BYTES}
     * (an import refuses each of these; a tree held from before, or reused deeper in a later
     * commit, is caught here).
     */
    private static void checkWritable(String commit, TreeWalk tree) throws IOException {
        FileMode mode = tree.getFileMode(0);
        String path = tree.getPathString();
        if (!isFile(mode)) {
            throw new IOException("commit " + CommitId.abbreviate(commit) + " has a "
                    + (mode == FileMode.SYMLINK ? "symbolic link" : "submodule") + " at " + shown(path)
                    + "; only regular files can be checked out");
        }
        if (tree.getPathLength() > TreeNames.MAX_PATH_BYTES) {
            throw new IOException("commit " + CommitId.abbreviate(commit) + " has a path of " + tree.getPathLength()
                    + " bytes (at most " + TreeNames.MAX_PATH_BYTES + "): " + shown(path));
        }
        try {
            GitPaths.requireSafe(path);
        } catch (IllegalArgumentException e) {
            throw new IOException("commit " + CommitId.abbreviate(commit) + ": " + e.getMessage(), e);
        }
    }

    /** A path of a stranger's tree, for a message that reaches the volunteer's terminal: {@link dev.rhizome.node.job.JobText}. */
    private static String shown(String path) {
        return "'" + JobText.printable(path, 300) + "'";
    }

    /**
     * Bundles of one tip built at most, each for another set of prerequisites. An asker picks its
     * {@code have} list, so a rogue naming a different ancestor each time made this node build and
     * cache a new bundle per request (up to one per commit in the tip's history: CPU, and disk until
     * the next prune). Past this bound an asker whose set is new is given the smallest cached bundle
     * of the tip whose prerequisites it holds, else the full one (built once). Honest askers of one
     * tip mostly hold its parent, and share one thin bundle.
     */
    static final int MAX_VARIANTS = 4;

    /**
     * A bundle whose only ref is {@code tip}, thin against those of {@code peerHas} that we hold and
     * that are ancestors of tip (reduced to the nearest ones); full when there are none. Cached on disk; past
     * {@link #MAX_VARIANTS} bundles of tip, one already cached that the asker can import.
     */
    public BundleFile bundle(String tip, Collection<String> peerHas) throws IOException {
        ObjectId tipId = requireHeld(tip);
        List<ObjectId> held = new ArrayList<>();
        for (String commit : peerHas) {
            if (has(commit)) {
                held.add(ObjectId.fromString(commit));
            }
        }
        try (RevWalk walk = new RevWalk(repository)) {
            RevCommit tipCommit = walk.parseCommit(tipId);
            List<RevCommit> prerequisites = Prerequisites.select(walk, tipCommit, held);
            List<String> names = prerequisites.stream().map(RevCommit::name).sorted().toList();
            if (!names.isEmpty() && !bundles.has(tip, names)) {
                List<BundleFile> variants = bundles.variants(tip);
                if (variants.size() >= MAX_VARIANTS) {
                    Optional<BundleFile> usable = importableBy(walk, prerequisites, variants);
                    if (usable.isPresent()) {
                        return usable.get();
                    }
                    return bundles.get(tip, List.of(), out -> writeBundle(repository, tipCommit, List.of(), out));
                }
            }
            return bundles.get(tip, names, out -> writeBundle(repository, tipCommit, prerequisites, out));
        }
    }

    /**
     * The smallest of {@code variants} whose every prerequisite the asker holds: an ancestor of (or
     * one of) the asker's nearest held commits {@code askerHolds}, since a repository holds every
     * ancestor of what it holds.
     */
    private static Optional<BundleFile> importableBy(RevWalk walk, List<RevCommit> askerHolds, List<BundleFile> variants)
            throws IOException {
        BundleFile best = null;
        for (BundleFile variant : variants) {
            boolean importable = true;
            for (String prerequisite : variant.prerequisites()) {
                RevCommit needed = walk.parseCommit(ObjectId.fromString(prerequisite));
                boolean held = false;
                for (RevCommit holds : askerHolds) {
                    if (walk.isMergedInto(needed, walk.parseCommit(holds))) {
                        held = true;
                        break;
                    }
                }
                if (!held) {
                    importable = false;
                    break;
                }
            }
            if (importable && (best == null || variant.size() < best.size())) {
                best = variant;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The bundle of {@code tip} whose SHA-256 is {@code sha256}, if this node can serve exactly that
     * one: a bundle it received and kept, or the one it makes for {@code peerHas}. Empty otherwise,
     * or when tip is not held.
     */
    public Optional<BundleFile> bundleWithDigest(String tip, Collection<String> peerHas, byte[] sha256) throws IOException {
        if (!has(tip)) {
            return Optional.empty();
        }
        Optional<BundleFile> kept = bundles.find(sha256).filter(b -> b.tip().equals(tip));
        if (kept.isPresent()) {
            return kept;
        }
        BundleFile made = bundle(tip, peerHas);
        return MessageDigest.isEqual(made.sha256(), sha256) ? Optional.of(made) : Optional.empty();
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
        return bundles.keep(bundle, tip, sortedPrerequisites(ReceivedBundle.of(bundle)), digests);
    }

    /** As {@link #keepReceivedBundle(Path, String)}, for a bundle received into memory: written to the cache. */
    public BundleFile keepReceivedBundle(byte[] bundle, String tip) throws IOException {
        return keepReceivedBundle(bundle, tip, null);
    }

    /** As {@link #keepReceivedBundle(byte[], String)}, with the digests computed as it arrived (null: hashed here). */
    public BundleFile keepReceivedBundle(byte[] bundle, String tip, PieceDigests.Result digests) throws IOException {
        return bundles.keep(bundle, tip, sortedPrerequisites(ReceivedBundle.of(bundle)), digests);
    }

    private static List<String> sortedPrerequisites(ReceivedBundle bundle) throws IOException {
        try (InputStream in = bundle.open()) {
            return GitBundleHeader.read(in).prerequisites().stream().sorted().toList();
        } catch (BundleException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static void writeBundle(Repository from, ObjectId tip, List<RevCommit> prerequisites, OutputStream out)
            throws IOException {
        BundleWriter writer = new BundleWriter(from);
        writer.setPackConfig(packConfig(from));
        writer.include(COMMIT_REFS + tip.name(), tip);
        prerequisites.forEach(writer::assume);
        writer.writeBundle(NullProgressMonitor.INSTANCE, out);
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
     * Deltas only between objects a receiver holds in memory to unpack ({@link PackLimits#maxHeldBytes}:
     * the delta, its base and its result under a share of the heap), so that a node of the same heap
     * takes what this one writes; a larger file goes whole, which JGit streams on both ends. The
     * delta search's memory is bounded to the same share: unbounded, its window held ten such files.
     */
    private static PackConfig packConfig(Repository from) {
        PackConfig config = new PackConfig(from);
        long held = PackLimits.PEERS.maxHeldBytes();
        config.setBigFileThreshold((int) Math.min(Integer.MAX_VALUE, held / 3));
        config.setDeltaSearchMemoryLimit(held);
        return config;
    }

    /**
     * Imports a bundle received from a peer, which may lie. Everything that can be judged from the
     * header is checked before the repository is touched: size, a single ref naming the expected
     * tip, prerequisites held. JGit then checks every object as it unpacks, and we check that the
     * tip is a commit whose history is complete before any ref points at it. Returns the tip.
     */
    public String importBundle(Path bundle, String expectedTip, long maxBytes) throws BundleException, IOException {
        return importBundle(ReceivedBundle.of(bundle), expectedTip, maxBytes, PackLimits.PEERS);
    }

    /** As {@link #importBundle(Path, String, long)}, for a bundle received into memory. */
    public String importBundle(byte[] bundle, String expectedTip, long maxBytes) throws BundleException, IOException {
        return importBundle(ReceivedBundle.of(bundle), expectedTip, maxBytes, PackLimits.PEERS);
    }

    /**
     * @throws BundleException the bundle is at fault (its sender may be blamed)
     * @throws IOException     this machine is: its disk, a lock, a read of our own copy
     */
    private String importBundle(ReceivedBundle bundle, String expectedTip, long maxBytes, PackLimits limits)
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
        try (InputStream in = bundle.open(); ObjectReader reader = repository.newObjectReader()) {
            GitBundleHeader header = GitBundleHeader.read(in);
            // The scan looks up a thin pack's bases here: one missing for want of a prerequisite is
            // that, not a delta on the pack's own objects. The header is judged again under the lock.
            checkRefs(header, expectedTip);
            writes.lock();
            try {
                checkPrerequisites(header);
            } finally {
                writes.unlock();
            }
            try {
                limits.check(in, id -> heldSize(reader, id));
            } catch (BundleTooLargeException e) {
                throw e;
            } catch (BundleException e) {
                // A delta on a prerequisite's object that a prune took since the check above is this
                // node's failure, not its sender's (the check says so when it finds the prune).
                writes.lock();
                try {
                    checkPrerequisites(header);
                } finally {
                    writes.unlock();
                }
                throw e;
            }
        }
        // One pass over the bytes: the header is judged, then the pack that follows it is parsed.
        try (InputStream in = bundle.open()) {
            GitBundleHeader header = GitBundleHeader.read(in);
            String tip = checkRefs(header, expectedTip);
            writes.lock();
            try {
                checkPrerequisites(header);
                // Its own ref says the commit and its history are complete here; a commit present
                // without one (an import cut short) is unpacked and refed again.
                if (hasRef(tip)) {
                    return tip;
                }
                try (Quarantine quarantine = Quarantine.open(repository)) {
                    Set<ObjectId> received = unpack(quarantine.repository(), in, limits);
                    ObjectId tipId = ObjectId.fromString(tip);
                    List<ObjectId> fresh = newHistory(quarantine.repository(), tipId);
                    PackReach.check(quarantine.repository(), tipId, header.prerequisites(), received);
                    quarantine.admitInto(repository);
                    CrashPoints.at(CrashPoints.BUNDLE_ADMITTED);
                    for (ObjectId id : fresh) {
                        createRef(id);
                    }
                }
                return tip;
            } finally {
                writes.unlock();
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
     * Under {@link #writes}: every prerequisite held (one given up lately is this node's failure,
     * an {@link IOException}: see {@link #GIVEN_UP_REMEMBERED}), and its line's comment no longer than the
     * commit's message (a writer puts the commit's subject there): a comment is text a rogue could
     * fill with anything, and a node relays the header as received.
     */
    private void checkPrerequisites(GitBundleHeader header) throws BundleException, IOException {
        try (RevWalk walk = new RevWalk(repository)) {
            for (String prerequisite : header.prerequisites()) {
                if (!has(prerequisite)) {
                    if (givenUp.contains(prerequisite)) {
                        // A fetch names what it holds and the holder builds on it; a prune that gave it
                        // up while the bundle was on its way is this node's doing, not its sender's.
                        throw new IOException("prerequisite " + prerequisite
                                + " was given up here while the bundle built on it was on its way");
                    }
                    throw new BundleException("missing prerequisite " + prerequisite);
                }
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

    /** Longer than any ref name this project writes ({@code refs/rhizome/commits/<id>}), or git's. */
    static final int MAX_REF_NAME = 255;

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
     * ancestor of it lacked one), once the history is known complete in {@code objects}.
     */
    private List<ObjectId> newHistory(Repository objects, ObjectId tip) throws BundleException, IOException {
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
            try {
                walk.sort(RevSort.TOPO);
                walk.sort(RevSort.REVERSE, true);
                walk.markStart(tipCommit);
                for (RevCommit held : heldBoundary(walk, tipCommit)) {
                    walk.markUninteresting(held);
                }
                for (RevCommit commit = walk.next(); commit != null; commit = walk.next()) {
                    fresh.add(commit.copy());
                }
                walk.checkConnectivity();
            } catch (MissingObjectException e) {
                throw new BundleException("bundle is incomplete: missing " + e.getMessage(), e);
            }
            return fresh;
        }
    }

    /** Fetches {@code commit} and its history from another local repository (an agent's workspace). */
    public String importFrom(Path otherRepository, String commit) throws IOException {
        CommitId.require(commit, "commit");
        if (has(commit)) {
            markOwnLocked(ObjectId.fromString(commit));
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
            for (String held : commits()) {
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
                    writeBundle(other.getRepository(), tip, prerequisites, out);
                }
                String imported = importBundle(ReceivedBundle.of(temp), commit, Long.MAX_VALUE, PackLimits.NONE);
                markOwnLocked(ObjectId.fromString(imported));
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
            if (commit != tip && hasRef(commit.name())) {
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

    /** Whether {@code commit} has its own ref, written by this instance or another on the same directory. */
    private boolean hasRef(String commit) throws IOException {
        if (refed.contains(commit)) {
            return true;
        }
        if (repository.exactRef(COMMIT_REFS + commit) != null) {
            learn(commit);
            return true;
        }
        return false;
    }

    private void createRef(ObjectId commit) throws IOException {
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

    /** Commits made here or imported from a local workspace (see {@link #OWN_REFS}), sorted. */
    public Set<String> ownCommits() {
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

    private void markOwnLocked(ObjectId commit) throws IOException {
        writes.lock();
        try {
            markOwn(commit);
        } finally {
            writes.unlock();
        }
    }

    /** Under {@link #writes}: the commit is this node's own. */
    private void markOwn(ObjectId commit) throws IOException {
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

    private RefUpdate.Result newRef(ObjectId commit) throws IOException {
        RefUpdate update = repository.updateRef(COMMIT_REFS + commit.name());
        update.setNewObjectId(commit);
        update.setExpectedOldObjectId(ObjectId.zeroId());
        // A bare repository keeps no reflog for these refs, but JGit would still build (a
        // PersonIdent, a formatted date) and look up a log entry for every one before skipping it.
        update.disableRefLog();
        return update.update();
    }

    private void learn(String commit) {
        if (refed.add(commit)) {
            learned.addLast(commit);
        }
    }

    private ObjectId requireHeld(String commit) throws IOException {
        if (!has(commit)) {
            throw new IOException("commit " + commit + " is not held in " + repository.getDirectory());
        }
        return ObjectId.fromString(commit);
    }

    private static boolean isFile(FileMode mode) {
        return mode == FileMode.REGULAR_FILE || mode == FileMode.EXECUTABLE_FILE;
    }

    /** Prunes the cache of bundles served to peers to {@code maxBytes}, oldest first; the bytes freed. */
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
        repository.close();
    }
}
