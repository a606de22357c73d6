package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A machine described in a few lines: which paths exist, which are symlinks, what the loader cache holds. */
final class FakeHost implements HostView {
    private final TreeMap<Path, Optional<Path>> paths = new TreeMap<>();
    private final List<Path> libraries = new ArrayList<>();
    private final Map<Path, String> texts = new TreeMap<>();

    FakeHost file(String... names) {
        for (String n : names) {
            paths.put(Path.of(n), Optional.empty());
        }
        return this;
    }

    FakeHost link(String name, String target) {
        paths.put(Path.of(name), Optional.of(Path.of(target)));
        return this;
    }

    FakeHost library(String... names) {
        for (String n : names) {
            libraries.add(Path.of(n));
            file(n);
        }
        return this;
    }

    FakeHost text(String name, String content) {
        file(name);
        texts.put(Path.of(name), content);
        return this;
    }

    /** A Debian bookworm machine: merged /usr, the JDK's and Python's configuration in /etc. */
    static FakeHost debian() {
        return new FakeHost().file("/usr", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/alternatives", "/etc/passwd",
                        "/etc/group", "/etc/java-17-openjdk", "/etc/python3.11", "/etc/shadow", "/etc/ssh", "/home/alice",
                        "/root", "/dev/null", "/dev/sda", "/proc/keys")
                .link("/bin", "usr/bin").link("/lib", "usr/lib").link("/lib64", "usr/lib64").link("/sbin", "usr/sbin");
    }

    @Override
    public boolean exists(Path path) {
        return paths.containsKey(path);
    }

    @Override
    public Optional<Path> symlinkTarget(Path path) {
        return paths.getOrDefault(path, Optional.empty());
    }

    @Override
    public List<Path> children(Path dir) {
        List<Path> c = new ArrayList<>();
        for (Map.Entry<Path, Optional<Path>> e : paths.entrySet()) {
            if (dir.equals(e.getKey().getParent())) {
                c.add(e.getKey());
            }
        }
        return c;
    }

    @Override
    public Optional<String> readText(Path path) {
        return Optional.ofNullable(texts.get(path));
    }

    @Override
    public List<Path> sharedLibraries() {
        return List.copyOf(libraries);
    }
}
