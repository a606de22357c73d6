package dev.rhizome.node.job;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the sandbox builder needs to know about this machine's files, behind an interface so
 * that the building stays a pure function: tests hand it a fake machine (a GPU box, an old
 * distribution without merged /usr) instead of needing one.
 */
public interface HostView {

    /** Whether something (a file, a directory, a device, a dangling link) is at that path. */
    boolean exists(Path path);

    /** The raw target of a symbolic link, or empty when the path is not one. */
    Optional<Path> symlinkTarget(Path path);

    /** The entries of a directory, sorted; empty when it is not one. */
    List<Path> children(Path dir);

    /** Every shared library the dynamic loader's cache knows, as absolute paths ({@code ldconfig -p}). */
    List<Path> sharedLibraries();

    /** The text of a small regular file (at most 64 KiB, e.g. under /proc), or empty when it can't be read. */
    Optional<String> readText(Path path);

    /**
     * The size of the regular file at that path, a link followed (as bubblewrap's bind follows it); empty for
     * anything else, or where it cannot be read. A view that does not say has none.
     */
    default OptionalLong regularFileSize(Path path) {
        return OptionalLong.empty();
    }

    /** This machine. */
    static HostView real() {
        return Real.INSTANCE;
    }

    /**
     * The files of a directory tree standing in for a machine's root: {@code /dev/nvidia0} is
     * {@code root/dev/nvidia0}. For tests that lay out a fake /dev and /proc as real files; its
     * loader cache is empty.
     */
    static HostView rootedAt(Path root) {
        return new Real(root.toAbsolutePath().normalize());
    }

    final class Real implements HostView {
        static final Real INSTANCE = new Real(Path.of("/"));
        private static final long MAX_TEXT_BYTES = 64 * 1024;
        private final Path root;
        private volatile List<Path> libraries;

        private Real(Path root) {
            this.root = root;
            if (!root.equals(Path.of("/"))) {
                libraries = List.of();
            }
        }

        /** Where a path of the machine is in this view's tree. */
        private Path at(Path path) {
            Path absolute = path.toAbsolutePath().normalize();
            return absolute.getRoot() == null ? root : root.resolve(absolute.getRoot().relativize(absolute).toString());
        }

        @Override
        public boolean exists(Path path) {
            return Files.exists(at(path), LinkOption.NOFOLLOW_LINKS);
        }

        @Override
        public Optional<Path> symlinkTarget(Path path) {
            try {
                Path p = at(path);
                return Files.isSymbolicLink(p) ? Optional.of(Files.readSymbolicLink(p)) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        @Override
        public List<Path> children(Path dir) {
            Path d = at(dir);
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                return List.of();
            }
            try (Stream<Path> s = Files.list(d)) {
                // named as the machine names them, not as where this view keeps them
                return s.map(c -> dir.resolve(c.getFileName().toString())).sorted().toList();
            } catch (IOException e) {
                return List.of();
            }
        }

        @Override
        public OptionalLong regularFileSize(Path path) {
            try {
                Path p = at(path);
                return Files.isRegularFile(p) ? OptionalLong.of(Files.size(p)) : OptionalLong.empty();
            } catch (IOException | RuntimeException e) {
                return OptionalLong.empty();
            }
        }

        @Override
        public Optional<String> readText(Path path) {
            Path p = at(path);
            try {
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    return Optional.empty();
                }
                // /proc files report size 0, so the bound is on what is read, not on the size
                try (InputStream in = Files.newInputStream(p)) {
                    byte[] bytes = in.readNBytes((int) MAX_TEXT_BYTES + 1);
                    return bytes.length > MAX_TEXT_BYTES ? Optional.empty()
                            : Optional.of(new String(bytes, StandardCharsets.UTF_8));
                }
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }

        @Override
        public List<Path> sharedLibraries() {
            List<Path> l = libraries;
            if (l == null) {
                l = readLoaderCache();
                libraries = l;
            }
            return l;
        }

        private List<Path> readLoaderCache() {
            for (String ldconfig : List.of("/sbin/ldconfig", "/usr/sbin/ldconfig")) {
                if (!Files.isExecutable(Path.of(ldconfig))) {
                    continue;
                }
                try {
                    Process p = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
                    p.getOutputStream().close();
                    String out;
                    try (InputStream in = p.getInputStream()) {
                        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        return List.of();
                    }
                    return parseLdconfig(out);
                } catch (IOException e) {
                    return List.of();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return List.of();
                }
            }
            return List.of();
        }
    }

    /** The library paths in {@code ldconfig -p} output: lines like {@code libcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1}. */
    static List<Path> parseLdconfig(String output) {
        List<Path> paths = new ArrayList<>();
        for (String line : output.split("\n")) {
            int arrow = line.indexOf("=> ");
            if (arrow > 0) {
                String path = line.substring(arrow + 3).trim();
                if (path.startsWith("/")) {
                    paths.add(Path.of(path));
                }
            }
        }
        return List.copyOf(paths);
    }
}
