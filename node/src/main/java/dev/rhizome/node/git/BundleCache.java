package dev.rhizome.node.git;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Finished bundles on disk, one file per (tip, prerequisites). A file appears only by an atomic
 * rename of a complete temporary file, so a reader never sees half a bundle; and each key is
 * built by one thread at a time, so the size and digest handed out always match the file.
 */
final class BundleCache {
    @FunctionalInterface
    interface BundleSource {
        void writeTo(OutputStream out) throws IOException;
    }

    private final Path dir;
    private final Cache<String, BundleFile> finished = Caffeine.newBuilder().maximumSize(10_000).build();

    BundleCache(Path dir) {
        this.dir = dir;
    }

    BundleFile get(String tip, List<String> prerequisites, BundleSource source) throws IOException {
        try {
            return finished.get(fileName(tip, prerequisites), name -> load(name, tip, prerequisites, source));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private BundleFile load(String name, String tip, List<String> prerequisites, BundleSource source) {
        try {
            Path file = dir.resolve(name);
            return Files.exists(file) ? describe(file, tip, prerequisites) : write(file, tip, prerequisites, source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private BundleFile write(Path file, String tip, List<String> prerequisites, BundleSource source)
            throws IOException {
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            MessageDigest digest = sha256();
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), digest)) {
                source.writeTo(out);
            }
            long size = Files.size(temp);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new BundleFile(tip, file, size, digest.digest(), prerequisites);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** A file left by an earlier run: hash it again rather than trust a side file. */
    private static BundleFile describe(Path file, String tip, List<String> prerequisites) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return new BundleFile(tip, file, Files.size(file), digest.digest(), prerequisites);
    }

    /**
     * Deletes the least recently written bundles until the cache holds at most {@code maxBytes},
     * forgetting each one first so it is rebuilt if asked for again; returns the bytes freed.
     * A peer already streaming a deleted file keeps reading it (the inode lives while open).
     */
    long prune(long maxBytes) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        List<Path> files;
        try (var listing = Files.list(dir)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".bundle")).sorted((a, b) -> {
                try {
                    return Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b));
                } catch (IOException e) {
                    return 0;
                }
            }).toList();
        }
        long total = 0;
        for (Path f : files) {
            total += Files.size(f);
        }
        long freed = 0;
        for (Path f : files) {
            if (total - freed <= maxBytes) {
                break;
            }
            long size = Files.size(f);
            finished.invalidate(f.getFileName().toString());
            Files.deleteIfExists(f);
            freed += size;
        }
        return freed;
    }

    private static String fileName(String tip, List<String> prerequisites) {
        if (prerequisites.isEmpty()) {
            return tip + "-full.bundle";
        }
        String joined = prerequisites.stream().sorted().collect(Collectors.joining(","));
        byte[] key = sha256().digest(joined.getBytes(StandardCharsets.US_ASCII));
        return tip + "-" + HexFormat.of().formatHex(key, 0, 8) + ".bundle";
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
