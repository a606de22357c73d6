package dev.rhizome.client.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The data directory: identity, repository and state of whoever runs the command. */
public final class DataDirOption {
    @Option(names = "--data-dir", paramLabel = "DIR", converter = PathArguments.DataDirectory.class,
            description = "Data directory (identity key, repository, state). Default: $RHIZOME_DATA_DIR, or the claim's when run in a claimed workspace, or ~/.rhizome")
    Path dataDir;
    private Path fallback;

    /** The directory to use when neither --data-dir nor $RHIZOME_DATA_DIR names one (before ~/.rhizome). */
    public void defaultTo(Path dir) {
        fallback = dir;
    }

    /** Whether --data-dir was given on the command line. */
    public boolean given() {
        return dataDir != null;
    }

    public Path path() {
        if (dataDir != null) {
            return dataDir.toAbsolutePath().normalize();  // "./n1/" named as /x/./n1 in messages
        }
        String env = System.getenv("RHIZOME_DATA_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        if (fallback != null) {
            return fallback;
        }
        return WorkspaceClaim.ofWorkingDirectory().map(WorkspaceClaim::dataDir)
                .orElse(Path.of(System.getProperty("user.home"), ".rhizome"));
    }
}
