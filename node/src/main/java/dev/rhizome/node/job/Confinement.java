package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one job process may see and touch: its working directory, the only directories it may
 * write, extra directories it may read, and its whole environment. A sandboxing
 * {@link ProcessLauncher} hides everything else of the machine; a plain one can only scrub the
 * environment. {@code ownReadOnly}, a part of {@code readOnly}, is the job's own tree shown to it
 * read-only (a harnessed seed's model and the checkout it trained in): a launcher whose jobs run as
 * a uid of their own hands it to that uid for the job's life, as it does the writable ones, since a
 * tree the node holds (given back after training, files of the job's umask, its 0700 directories)
 * is not readable by that uid.
 */
public record Confinement(Path workDir, List<Path> writable, List<Path> readOnly, Map<String, String> env,
        List<Path> ownReadOnly) {

    public Confinement {
        Objects.requireNonNull(workDir, "workDir");
        writable = List.copyOf(writable);
        readOnly = List.copyOf(readOnly);
        env = Map.copyOf(env);
        ownReadOnly = List.copyOf(ownReadOnly);
        if (!readOnly.containsAll(ownReadOnly)) {
            throw new IllegalArgumentException("the job's own read-only trees must be among its read-only ones: "
                    + ownReadOnly + " not all in " + readOnly);
        }
    }

    public Confinement(Path workDir, List<Path> writable, List<Path> readOnly, Map<String, String> env) {
        this(workDir, writable, readOnly, env, List.of());
    }

    /** What a launcher whose jobs run as a uid of their own hands to that uid and gives back: writable and own. */
    public List<Path> handedOver() {
        List<Path> all = new java.util.ArrayList<>(writable);
        all.addAll(ownReadOnly);
        return List.copyOf(all);
    }
}
