package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A node data directory that lies under what every job sees ({@link BwrapCommand#shownToEveryJob}):
 * its key, logs and repository would be theirs to read. The node refuses to start so, and
 * {@code rhizome node doctor} says the same beforehand, in the same words.
 *
 * @param dataDir the data directory as the volunteer named it
 * @param shown   the place every job sees that holds it, links followed
 */
public record ShownDataDir(Path dataDir, Path shown) {
    public static final String FIX = "pass a --data-dir outside it (the default is in your home)";

    /**
     * Where {@code dataDir} would be shown to every job of a sandbox passing {@code gpus} through, if
     * anywhere. Links are followed, as a job's lookups would be, up to the part that exists yet.
     */
    public static Optional<ShownDataDir> find(Path dataDir, GpuPassthrough gpus, HostView host) throws IOException {
        Path real = dataDir.toAbsolutePath().normalize();
        Path existing = real;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null) {
            real = existing.toRealPath().resolve(existing.relativize(real));
        }
        return BwrapCommand.shownToEveryJob(real, gpus, host).map(shown -> new ShownDataDir(dataDir, shown));
    }

    /** What is wrong, naming both places. */
    public String problem() {
        return "the data directory " + dataDir.toAbsolutePath() + " is " + where();
    }

    /** Where it is, and why that is wrong. */
    public String where() {
        return "under " + shown + ", which every job sees: its key and logs would be theirs to read";
    }
}
