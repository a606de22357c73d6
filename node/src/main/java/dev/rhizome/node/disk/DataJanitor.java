package dev.rhizome.node.disk;

import dev.rhizome.node.NodeLayout;
import dev.rhizome.node.git.NodeRepository;
import dev.rhizome.node.git.RepoCompactor;
import dev.rhizome.node.git.TempBundles;
import dev.rhizome.node.job.JobDirs;
import dev.rhizome.protocol.files.DurableFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node's data directory from growing without bound over months: the bundle cache (bundles
 * built to serve and bundles received and kept) and the job logs are pruned, oldest first, to
 * their caps, keeping the bundles of commits still wanted; work directories left by a crash are
 * removed at start (a job's own is removed when it ends); the transfer log is rotated to one
 * old generation when it passes a size. What the node must keep (identity, repository, outbox,
 * buffered units) is never touched. Daemon logs rotate by themselves (logback). The git repository
 * is kept to its budget ({@link RepoCompactor#prune}: commits held only to relay, then those kept
 * for neighbours, oldest first; never its own or the work's) and repacked past
 * {@link RepoCompactor#DEFAULT_MAX_PACKS} packs, on this thread, off every fetch's path.
 */
public final class DataJanitor {
    private static final Logger log = LoggerFactory.getLogger(DataJanitor.class);
    /** Logs written this recently may belong to running jobs. */
    private static final long FRESH_MS = 10 * 60_000;
    public static final long TRANSFER_LOG_MAX_BYTES = 16L << 20;
    /** An import takes seconds; one writing for an hour is one whose process died. */
    static final Duration ABANDONED_IMPORT_AGE = Duration.ofHours(1);

    private final NodeLayout layout;
    private final NodeRepository repository;
    private final long bundleCacheBytes;
    private final long logBytes;
    private final Supplier<Set<String>> wanted;
    private final RepoBudget repoBudget;
    private final RepoCompactor compactor;
    private volatile RepoCompactor.Usage repoUsage;

    /**
     * The repository's budget and what it asks the gossip core.
     *
     * @param bytes      the repository's objects are kept to this
     * @param kept       commits kept for neighbours (given up only after every relay-only one), asked at each pass
     * @param beforeDrop told the commits about to be given up, before their refs go
     */
    public record RepoBudget(long bytes, Supplier<Set<String>> kept, Consumer<List<String>> beforeDrop) {
        /** No budget: the repository is only repacked. */
        public static RepoBudget unlimited() {
            return new RepoBudget(Long.MAX_VALUE, Set::of, commits -> { });
        }
    }

    public DataJanitor(NodeLayout layout, NodeRepository repository, long bundleCacheMb, long workMb) {
        this(layout, repository, bundleCacheMb, workMb, Set::of);
    }

    /**
     * @param wanted commits whose bundles are kept whatever the cap (those under evaluation here and
     *               their parents, the frontiers they are measured against), asked at each pass
     */
    public DataJanitor(NodeLayout layout, NodeRepository repository, long bundleCacheMb, long workMb,
                       Supplier<Set<String>> wanted) {
        this(layout, repository, bundleCacheMb, workMb, wanted, RepoBudget.unlimited());
    }

    /** @param repoBudget the repository's budget; its commits in {@code wanted} are never given up */
    public DataJanitor(NodeLayout layout, NodeRepository repository, long bundleCacheMb, long workMb,
                       Supplier<Set<String>> wanted, RepoBudget repoBudget) {
        this.repoBudget = repoBudget;
        this.compactor = new RepoCompactor(repository);
        this.layout = layout;
        this.repository = repository;
        this.bundleCacheBytes = bundleCacheMb << 20;
        this.logBytes = workMb << 20;
        this.wanted = wanted;
    }

    /** At start, before any job: whatever is in the work directory was left by a crash. */
    public void removeLeftoverWork() throws IOException {
        if (Files.isDirectory(layout.work())) {
            try (Stream<Path> dirs = Files.list(layout.work())) {
                for (Path d : dirs.toList()) {
                    deleteTree(d);
                    log.info("removed work directory {} left by an earlier run", d.getFileName());
                }
            }
        }
    }

    /**
     * At start, before anything writes: the temporary files of writes a crash interrupted (the
     * peer list and endpoint in the data directory, outbox entries, buffered units, claims in
     * flight, cached bundles, kept receipts). Each is written whole to a {@code .tmp} file and
     * renamed, so a leftover never holds anything the node still needs (its rename never happened),
     * and nothing else would ever delete it: the bundle cache's cap counts only finished bundles.
     * Only for the directory's owner, which holds its lock.
     */
    public static int removeInterruptedWrites(NodeLayout layout) throws IOException {
        int removed = 0;
        for (Path dir : List.of(layout.dataDir(), layout.outbox(), layout.outbox().resolve("refused"), layout.buffer(),
                layout.claims(), layout.receipts(),
                layout.repository().resolveSibling(layout.repository().getFileName() + ".bundles"))) {
            removed += DurableFiles.removeLeftovers(dir);
        }
        if (removed > 0) {
            log.info("removed {} temporary files of writes interrupted by an earlier run", removed);
        }
        return removed;
    }

    /**
     * At start: the bundles processes killed in the middle of a fetch or an import left in the
     * temporary directory ({@link TempBundles}). A directory that cannot be read is said, not
     * fatal: it holds none of the node's data.
     */
    public static void removeTempBundles() {
        try {
            List<Path> removed = TempBundles.removeLeftovers();
            if (!removed.isEmpty()) {
                log.info("removed {} temporary bundles of fetches or imports cut short by an earlier run: {}",
                        removed.size(), removed.stream().map(p -> p.getFileName().toString()).toList());
            }
        } catch (IOException e) {
            log.warn("cannot look for bundles an earlier run left in the temporary directory: {}", e.toString());
        }
    }

    /** One pass over the caps; errors are logged, never thrown, so the node keeps running. */
    public void prune() {
        try {
            Set<String> wantedNow = wanted.get();
            long freed = repository.pruneBundleCache(bundleCacheBytes, wantedNow);
            if (freed > 0) {
                log.info("pruned {} KiB of cached bundles to the {} MiB cap", freed >> 10, bundleCacheBytes >> 20);
            }
            long logsFreed = pruneOldest(layout.logs(), logBytes, System.currentTimeMillis() - FRESH_MS);
            if (logsFreed > 0) {
                log.info("pruned {} KiB of job logs to the {} MiB cap", logsFreed >> 10, logBytes >> 20);
            }
            rotate(layout.transfers(), TRANSFER_LOG_MAX_BYTES);
            long abandoned = repository.removeAbandonedImports(ABANDONED_IMPORT_AGE);
            if (abandoned > 0) {
                log.info("removed {} KiB of pack files an interrupted import left", abandoned >> 10);
            }
            compactRepository(wantedNow);
        } catch (IOException | RuntimeException e) {
            log.warn("pruning the data directory: {}", e.toString());
        }
    }

    /** The repository to its budget, then repacked if its packs are past the threshold (and the prune did not). */
    private void compactRepository(Set<String> wantedNow) throws IOException {
        RepoCompactor.Outcome outcome = compactor.prune(repoBudget.bytes(), wantedNow, repoBudget.kept().get(),
                repoBudget.beforeDrop());
        if (!outcome.repacked()) {
            outcome = compactor.repackIfNeeded(RepoCompactor.DEFAULT_MAX_PACKS);
        }
        repoUsage = outcome.after();
    }

    /** The repository's packs and bytes now (a listing of its objects), or as the last pass measured them when that fails; null if neither. */
    public RepoCompactor.Usage repoUsage() {
        try {
            return compactor.usage();
        } catch (IOException | RuntimeException e) {
            return repoUsage;
        }
    }

    public long repoBudgetBytes() {
        return repoBudget.bytes();
    }

    /** Deletes the oldest files of {@code dir} (not those modified after {@code keepAfterMs}) to fit {@code maxBytes}. */
    static long pruneOldest(Path dir, long maxBytes, long keepAfterMs) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        record Entry(Path path, long size, long modified) {
        }
        List<Entry> files = new ArrayList<>();
        try (Stream<Path> listing = Files.list(dir)) {
            for (Path p : listing.filter(Files::isRegularFile).toList()) {
                files.add(new Entry(p, Files.size(p), Files.getLastModifiedTime(p).toMillis()));
            }
        }
        files.sort(Comparator.comparingLong(Entry::modified));
        long total = files.stream().mapToLong(Entry::size).sum();
        long freed = 0;
        for (Entry e : files) {
            if (total - freed <= maxBytes || e.modified() > keepAfterMs) {
                break;
            }
            Files.deleteIfExists(e.path());
            freed += e.size();
        }
        return freed;
    }

    /** Renames {@code file} to {@code file.1} (replacing an older one) once it is over {@code maxBytes}. */
    static boolean rotate(Path file, long maxBytes) throws IOException {
        if (!Files.exists(file) || Files.size(file) <= maxBytes) {
            return false;
        }
        Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /** Old work directories hold what jobs wrote: deleted however deep or unreadable they made it. */
    private static void deleteTree(Path dir) throws IOException {
        JobDirs.deleteTree(dir);
    }

}
