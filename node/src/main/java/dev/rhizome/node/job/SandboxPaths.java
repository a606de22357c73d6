package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a job's own directories are inside its sandbox: its working directory at {@value #WORK_DIR}, each
 * other directory it may write at {@value #OTHER_WRITABLE} (then {@code /out2}, ...), whatever their host
 * paths. A host path named the node's temporary directory, its uid and the job directory's random name
 * ({@code /tmp/rhizome-jobs-0-<16 hex>/slot-0/<unit>}) to every job, in its {@code HOME}, its working
 * directory and each path the node handed it. The system's directories and the JDK keep their host paths
 * (the job's command names the JDK's {@code java}). Pure: the node's own reads of the checkout (its log,
 * its metric, its budget's walk) keep the host path; only what bubblewrap is told, and what the job is
 * given in its command line and environment, goes through {@link #inside}.
 */
public final class SandboxPaths {
    /** The job's working directory inside: its checkout, or the harness's copy of its files. */
    public static final String WORK_DIR = "/job";
    /** The first other writable directory inside (a harness's result directory). */
    public static final String OTHER_WRITABLE = "/out";
    /** The job's temporary directory inside, the same for every job (a tmpfs of its own). */
    public static final String TMP = "/tmp";

    /** A directory bound into the sandbox: its host path, its path inside, whether the job may write it. */
    public record Mount(Path host, Path inside, boolean writable) {
    }

    /** Host root to inside root, the working directory's first. */
    private final Map<Path, Path> roots = new LinkedHashMap<>();

    private final Confinement confinement;
    /** The working directory's mount and each writable directory's, placed once with the roots. */
    private final List<Mount> own = new ArrayList<>();

    private SandboxPaths(Confinement confinement) {
        this.confinement = confinement;
        Path work = normal(confinement.workDir());
        roots.put(work, Path.of(WORK_DIR));
        int other = 0;
        for (Path w : confinement.writable()) {
            Path p = normal(w);
            if (!p.startsWith(work) && !roots.containsKey(p)) {
                other++;
                roots.put(p, Path.of(OTHER_WRITABLE + (other == 1 ? "" : Integer.toString(other))));
            }
        }
        own.add(new Mount(work, Path.of(WORK_DIR), within(work, confinement.writable())));
        for (Path w : confinement.writable()) {
            Path p = normal(w);
            if (!p.equals(work)) {
                own.add(new Mount(p, inside(p), true));
            }
        }
    }

    /** The paths of a job confined by {@code confinement}. */
    public static SandboxPaths of(Confinement confinement) {
        return new SandboxPaths(confinement);
    }

    /**
     * What to bind where, parents first, so that a directory bound under another lands on top of it;
     * {@code shownElsewhere}: directories bubblewrap binds already (the system's), whose read-only
     * directories need no mount of their own.
     */
    public List<Mount> mounts(java.util.Collection<Path> shownElsewhere) {
        Path work = normal(confinement.workDir());
        List<Mount> mounts = new ArrayList<>(own);
        for (Path r : confinement.readOnly()) {
            Path p = normal(r);
            if (!p.equals(work) && !within(p, confinement.writable()) && !within(p, List.copyOf(shownElsewhere))) {
                mounts.add(new Mount(p, inside(p), false));
            }
        }
        mounts.sort(Comparator.comparingInt((Mount m) -> m.inside().getNameCount()));
        return List.copyOf(mounts);
    }

    /** Where the host path {@code host} is inside: under a directory of the job's own, moved with it. */
    public Path inside(Path host) {
        Path p = normal(host);
        for (Map.Entry<Path, Path> root : roots.entrySet()) {
            if (p.startsWith(root.getKey())) {
                return root.getValue().resolve(root.getKey().relativize(p).toString());
            }
        }
        return p;
    }

    /**
     * {@code value} (an argument or an environment variable's value) with each absolute path under a directory
     * of the job's own, whole or as an element of a {@code :}-separated list (PATH, PYTHONPATH), in its place inside.
     */
    public String inside(String value) {
        String[] parts = value.split(":", -1);
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].startsWith("/")) {
                try {
                    Path p = Path.of(parts[i]);
                    Path moved = inside(p);
                    if (!moved.equals(normal(p))) {
                        parts[i] = moved.toString() + (parts[i].endsWith("/") && parts[i].length() > 1 ? "/" : "");
                    }
                } catch (java.nio.file.InvalidPathException e) {
                    // not a path: left as it is
                }
            }
        }
        return String.join(":", parts);
    }

    /** {@link #inside(String)} of each argument. */
    public List<String> insideAll(List<String> values) {
        return values.stream().map(this::inside).toList();
    }

    /** {@link #inside(String)} of each value. */
    public Map<String, String> insideValues(Map<String, String> env) {
        Map<String, String> moved = new LinkedHashMap<>();
        env.forEach((k, v) -> moved.put(k, inside(v)));
        return moved;
    }

    private static boolean within(Path p, List<Path> roots) {
        return roots.stream().anyMatch(r -> p.startsWith(normal(r)));
    }

    private static Path normal(Path p) {
        return p.toAbsolutePath().normalize();
    }
}
