package dev.rhizome.client.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Loads, while the jar is still the one the process started from, the classes a long-running
 * command needs to stop. The JVM reads a class from its jar when it first uses it, through the path
 * it opened at start: an operator upgrading in place ({@code cp new.jar rhizome.jar}, which rewrites
 * the same file) left the coordinator's stop reading classes at offsets of the old jar in the new
 * one, and SIGTERM ended in {@code NoClassDefFoundError} on the main thread, the server's threads
 * running on, the process deaf to every later SIGTERM. Loaded whole: the packages below (each
 * class is loaded, not initialized; a few hundred, a fraction of a second once at start), so
 * that whatever path a stop takes in them (held claims answered, a PostgreSQL pool closed) finds
 * its classes in memory; the stop of other libraries, found by {@code CoordinatorUpgradeTest}, is
 * named below. A node's stop (its shutdown hook: slots, gossip, the peer server, its files) had the
 * same fault and loads its own packages so.
 */
public final class StopClasses {
    /**
     * A coordinator's packages, loaded with their subpackages, and the wire records: a stop answers
     * the claims it holds and may be the first to build a refusal of some kind, as a node's stop was.
     */
    public static final List<String> COORDINATOR = List.of("dev/rhizome/coordinator/", "dev/rhizome/protocol/",
            "dev/rhizome/proto/", "dev/rhizome/client/cli/");
    /**
     * A node's, and JGit's repository and pack files, which its close releases. The wire records too: a
     * stop settling a slot's cut claim read a refusal ({@code proto.v1.Error}) no claim had met before,
     * from the rewritten jar, and the claim stayed in the journal.
     */
    public static final List<String> NODE = List.of("dev/rhizome/node/", "dev/rhizome/protocol/", "dev/rhizome/proto/",
            "dev/rhizome/client/cli/",
            "org/eclipse/jgit/lib/", "org/eclipse/jgit/internal/storage/file/", "org/eclipse/jgit/util/");
    /** Packages loaded without their subpackages: Netty's event loops and promises, which a server's close runs through. */
    private static final List<String> PACKAGES = List.of("io/netty/channel/", "io/netty/util/concurrent/",
            "io/netty/bootstrap/", "picocli/");

    private StopClasses() {
    }

    /**
     * Loads the classes of {@code trees} (with their subpackages) and of the libraries' packages below
     * from the class path (the jar, or a build's class directories) into {@code anchor}'s loader; what
     * cannot be loaded (a class of an optional library absent here) is skipped.
     *
     * @return how many classes it loaded
     */
    public static int preload(Class<?> anchor, List<String> trees) {
        ClassLoader loader = anchor.getClassLoader();
        int loaded = 0;
        for (String name : names(trees)) {
            try {
                Class.forName(name, false, loader);
                loaded++;
            } catch (ClassNotFoundException | LinkageError e) {
                // an optional library's class, or one this build does not hold: never on a stop path here
            }
        }
        return loaded;
    }

    /** The binary names of the classes to load, from every class path entry. */
    static List<String> names(List<String> trees) {
        List<String> names = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            try {
                if (Files.isDirectory(p)) {
                    try (Stream<Path> files = Files.walk(p)) {
                        files.map(f -> p.relativize(f).toString().replace(java.io.File.separatorChar, '/'))
                                .filter(n -> wanted(n, trees)).forEach(n -> names.add(binaryName(n)));
                    }
                } else if (Files.isRegularFile(p)) {
                    try (JarFile jar = new JarFile(p.toFile())) {
                        for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                            String n = e.nextElement().getName();
                            if (wanted(n, trees)) {
                                names.add(binaryName(n));
                            }
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // an entry that cannot be read holds nothing we can load either
            }
        }
        return names;
    }

    static boolean wanted(String path, List<String> trees) {
        if (!path.endsWith(".class") || path.endsWith("module-info.class") || path.endsWith("package-info.class")) {
            return false;
        }
        if (trees.stream().anyMatch(path::startsWith)) {
            return true;
        }
        int slash = path.lastIndexOf('/');
        return PACKAGES.contains(path.substring(0, slash + 1));
    }

    private static String binaryName(String path) {
        return path.substring(0, path.length() - ".class".length()).replace('/', '.');
    }
}
