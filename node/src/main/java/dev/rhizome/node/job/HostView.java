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

    /** This machine. */
    static HostView real() {
        return Real.INSTANCE;
    }

    final class Real implements HostView {
        static final Real INSTANCE = new Real();
        private volatile List<Path> libraries;

        private Real() {
        }

        @Override
        public boolean exists(Path path) {
            return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
        }

        @Override
        public Optional<Path> symlinkTarget(Path path) {
            try {
                return Files.isSymbolicLink(path) ? Optional.of(Files.readSymbolicLink(path)) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        @Override
        public List<Path> children(Path dir) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                return List.of();
            }
            try (Stream<Path> s = Files.list(dir)) {
                return s.sorted().toList();
            } catch (IOException e) {
                return List.of();
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
