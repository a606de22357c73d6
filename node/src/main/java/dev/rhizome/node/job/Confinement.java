package dev.rhizome.node.job;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one job process may see and touch: its working directory, the only directories it may
 * write, extra directories it may read, and its whole environment. A sandboxing
 * {@link ProcessLauncher} hides everything else of the machine; a plain one can only scrub the
 * environment.
 */
public record Confinement(Path workDir, List<Path> writable, List<Path> readOnly, Map<String, String> env) {

    public Confinement {
        Objects.requireNonNull(workDir, "workDir");
        writable = List.copyOf(writable);
        readOnly = List.copyOf(readOnly);
        env = Map.copyOf(env);
    }
}
