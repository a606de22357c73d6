package dev.rhizome.node.git;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.rhizome.protocol.CrashPoints;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finished bundles on disk, one file per (tip, prerequisites): those this node built to serve and
 * those it received and imported (kept byte for byte, so every holder downstream serves the same
 * bundle and a fetcher can take its pieces from several of them). A file appears only by an atomic
 * rename of a complete temporary file, so a reader never sees half a bundle; and each key is built
 * by one thread at a time, so the size and digests handed out always match the file.
 */
final class BundleCache {
    private static final Logger log = LoggerFactory.getLogger(BundleCache.class);

    @FunctionalInterface
    interface BundleSource {
        void writeTo(OutputStream out) throws IOException;
    }

    private static final String SUFFIX = ".bundle";
    private static final SecureRandom TEMP_NAMES = new SecureRandom();

    private final Path dir;
    private final int pieceBytes;
    private final Cache<String, BundleFile> finished = Caffeine.newBuilder().maximumSize(10_000).build();
    /** Hex SHA-256 of every bundle known here, to serve a range of one named by its digest. */
    private final Map<String, BundleFile> byDigest = new ConcurrentHashMap<>();

    BundleCache(Path dir) {
        this(dir, BundleFile.PIECE_BYTES);
    }

    BundleCache(Path dir, int pieceBytes) {
        this.dir = dir;
        this.pieceBytes = pieceBytes;
    }

    BundleFile get(String tip, List<String> prerequisites, BundleSource source) throws IOException {
        String key = fileName(tip, prerequisites);
        BundleFile known = finished.getIfPresent(key);
        if (known != null && !Files.exists(known.path())) {
            // Deleted behind our back (by hand, or a disk clean-up): make it again rather than serve a ghost.
            finished.asMap().remove(key, known);
            byDigest.remove(HexFormat.of().formatHex(known.sha256()), known);
        }
        try {
            return finished.get(key, name -> load(name, tip, prerequisites, source));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Whether a bundle of {@code tip} for exactly these prerequisites is known here. */
    boolean has(String tip, List<String> prerequisites) {
        return finished.getIfPresent(fileName(tip, prerequisites)) != null;
    }

    /** Bundles of {@code tip} known here, for any prerequisites. */
    List<BundleFile> variants(String tip) {
        String prefix = tip + "-";
        List<BundleFile> out = new ArrayList<>();
        finished.asMap().forEach((key, file) -> {
            if (key.startsWith(prefix)) {
                out.add(file);
            }
        });
        return out;
    }

    /** The bundle of that SHA-256 among those built or kept here since start, if its file is still there. */
    Optional<BundleFile> find(byte[] sha256) {
        BundleFile file = byDigest.get(HexFormat.of().formatHex(sha256));
        return file != null && Files.exists(file.path()) ? Optional.of(file) : Optional.empty();
    }

    /**
     * Keeps a bundle received from a peer (already verified and imported; the file is moved here) as the bundle
     * for its (tip, prerequisites), replacing one built here: serving the very bytes received makes
     * every holder of a commit serve one bundle, whose pieces a fetcher can take from any of them.
     */
    BundleFile keep(Path received, String tip, List<String> prerequisites) throws IOException {
        return keep(received, tip, prerequisites, null);
    }

    /**
     * As {@link #keep(Path, String, List)}, with the digests the fetcher computed over these very
     * bytes as they arrived ({@code known}; null: hash the file here): not hashed a second time.
     */
    BundleFile keep(Path received, String tip, List<String> prerequisites, PieceDigests.Result known) throws IOException {
        String name = fileName(tip, prerequisites);
        ensureDir();
        // The received file is taken, not copied: on one file system this is a rename, which
        // spares a copy and a new inode per fetch (inode allocation showed in the fetch profile).
        Path temp = dir.resolve(name + "." + Long.toHexString(TEMP_NAMES.nextLong()) + ".tmp");
        try {
            Files.move(received, temp);
            PieceDigests.Result digests = usable(known) ? known : PieceDigests.of(temp, pieceBytes);
            Path file = dir.resolve(name);
            CrashPoints.at(CrashPoints.BUNDLE_CACHED);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return replace(name, new BundleFile(tip, file, Files.size(file), digests.sha256(), prerequisites,
                    digests.pieceBytes(), digests.pieceSha256()));
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** As {@link #keep(Path, String, List)}, for a bundle received into memory: written here, hashed as it is written. */
    BundleFile keep(byte[] received, String tip, List<String> prerequisites) throws IOException {
        return keep(received, tip, prerequisites, null);
    }

    /** As {@link #keep(byte[], String, List)}, with the digests computed as the bytes arrived (null: hashed as written). */
    BundleFile keep(byte[] received, String tip, List<String> prerequisites, PieceDigests.Result known) throws IOException {
        String name = fileName(tip, prerequisites);
        if (!usable(known)) {
            return replace(name, write(dir.resolve(name), tip, prerequisites, out -> out.write(received)));
        }
        ensureDir();
        Path file = dir.resolve(name);
        Path temp = Files.createTempFile(dir, name, ".tmp");
        try {
            Files.write(temp, received);
            CrashPoints.at(CrashPoints.BUNDLE_CACHED);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return replace(name, new BundleFile(tip, file, received.length, known.sha256(), prerequisites,
                    known.pieceBytes(), known.pieceSha256()));
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Digests of this cache's piece size: what a ranged fetch will ask this node for. */
    private boolean usable(PieceDigests.Result known) {
        return known != null && known.pieceBytes() == pieceBytes;
    }

    private BundleFile replace(String name, BundleFile kept) {
        index(kept);
        BundleFile old = finished.asMap().put(name, kept);
        if (old != null && !MessageDigest.isEqual(old.sha256(), kept.sha256())) {
            byDigest.remove(HexFormat.of().formatHex(old.sha256()), old);
        }
        return kept;
    }

    /** Created only when missing: a check costs one stat, creating an existing directory a failed mkdir and a stat. */
    private void ensureDir() throws IOException {
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
        }
    }

    private BundleFile load(String name, String tip, List<String> prerequisites, BundleSource source) {
        try {
            Path file = dir.resolve(name);
            return index(Files.exists(file) && whole(file) ? describe(file, tip, prerequisites)
                    : write(file, tip, prerequisites, source));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private BundleFile index(BundleFile file) {
        byDigest.put(HexFormat.of().formatHex(file.sha256()), file);
        return file;
    }

    private BundleFile write(Path file, String tip, List<String> prerequisites, BundleSource source)
            throws IOException {
        ensureDir();
        Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            PieceDigests digests = new PieceDigests(pieceBytes);
            try (OutputStream out = digests.wrap(Files.newOutputStream(temp))) {
                source.writeTo(out);
            }
            PieceDigests.Result result = digests.finish();
            long size = Files.size(temp);
            CrashPoints.at(CrashPoints.BUNDLE_CACHED);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new BundleFile(tip, file, size, result.sha256(), prerequisites, result.pieceBytes(), result.pieceSha256());
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Whether a file an earlier run left is whole; one that is not is made again (a power loss tore it). */
    private static boolean whole(Path file) throws IOException {
        String problem = WholeBundle.problem(file);
        if (problem != null) {
            log.warn("cached bundle {} is torn ({}), as a power loss leaves one: made again before it is served",
                    file.getFileName(), problem);
        }
        return problem == null;
    }

    /** A file left by an earlier run: hash it again rather than trust a side file. */
    private BundleFile describe(Path file, String tip, List<String> prerequisites) throws IOException {
        PieceDigests.Result digests = PieceDigests.of(file, pieceBytes);
        return new BundleFile(tip, file, Files.size(file), digests.sha256(), prerequisites, digests.pieceBytes(),
                digests.pieceSha256());
    }

    /**
     * Deletes the least recently written bundles until the cache holds at most {@code maxBytes},
     * forgetting each one first so it is rebuilt if asked for again; returns the bytes freed.
     * Bundles whose tip is in {@code keepTips} (commits still wanted: under evaluation, frontiers)
     * are never deleted, even if they alone pass the cap. A peer already streaming a deleted file
     * keeps reading it (the inode lives while open).
     */
    long prune(long maxBytes, Set<String> keepTips) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        record Entry(Path path, long size, long modified) {
        }
        List<Entry> files;
        try (var listing = Files.list(dir)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).map(p -> {
                try {
                    return new Entry(p, Files.size(p), Files.getLastModifiedTime(p).toMillis());
                } catch (IOException e) {
                    return null;  // deleted meanwhile
                }
            }).filter(e -> e != null).sorted((a, b) -> Long.compare(a.modified(), b.modified())).toList();
        }
        long total = files.stream().mapToLong(Entry::size).sum();
        long freed = 0;
        for (Entry f : files) {
            if (total - freed <= maxBytes) {
                break;
            }
            String name = f.path().getFileName().toString();
            if (keepTips.contains(tipOf(name))) {
                continue;
            }
            BundleFile known = finished.asMap().remove(name);
            if (known != null) {
                byDigest.remove(HexFormat.of().formatHex(known.sha256()), known);
            }
            Files.deleteIfExists(f.path());
            freed += f.size();
            CrashPoints.at(CrashPoints.BUNDLES_PRUNED);
        }
        return freed;
    }

    private static String tipOf(String fileName) {
        int dash = fileName.indexOf('-');
        return dash < 0 ? fileName : fileName.substring(0, dash);
    }

    private static String fileName(String tip, List<String> prerequisites) {
        if (prerequisites.isEmpty()) {
            return tip + "-full" + SUFFIX;
        }
        String joined = prerequisites.stream().sorted().collect(Collectors.joining(","));
        byte[] key = sha256().digest(joined.getBytes(StandardCharsets.US_ASCII));
        return tip + "-" + HexFormat.of().formatHex(key, 0, 8) + SUFFIX;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
