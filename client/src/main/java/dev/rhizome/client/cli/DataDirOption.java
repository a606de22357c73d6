package dev.rhizome.client.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The data directory: identity, repository and state of whoever runs the command. */
public final class DataDirOption {
    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Data directory (identity key, repository, state). Default: $RHIZOME_DATA_DIR or ~/.rhizome")
    Path dataDir;

    public Path path() {
        if (dataDir != null) {
            return dataDir.toAbsolutePath();
        }
        String env = System.getenv("RHIZOME_DATA_DIR");
        return env != null && !env.isBlank() ? Path.of(env).toAbsolutePath()
                : Path.of(System.getProperty("user.home"), ".rhizome");
    }
}
