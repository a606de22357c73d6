package dev.rhizome.node.git;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A ref's lock file left behind by a process killed in the middle of writing the ref. JGit takes
 * {@code <ref>.lock}, writes it and renames it over the ref in a few milliseconds; after a kill -9
 * the lock stays, and every later attempt at that ref fails with LOCK_FAILURE, so the commit could
 * never be held here again. A lock older than {@link #AGE} belongs to no live writer.
 */
final class StaleRefLock {
    static final Duration AGE = Duration.ofSeconds(10);

    private StaleRefLock() {
    }

    /** Removes {@code ref}'s lock if it is stale; whether a retry may now succeed. */
    static boolean clear(Path gitDir, String ref) throws IOException {
        Path lock = gitDir.resolve(ref + ".lock");
        try {
            long age = System.currentTimeMillis() - Files.getLastModifiedTime(lock).toMillis();
            if (age < AGE.toMillis()) {
                return false;
            }
            Files.delete(lock);
            return true;
        } catch (NoSuchFileException gone) {
            return true; // its writer finished or gave up since
        }
    }
}
