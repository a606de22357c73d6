package dev.rhizome.node.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.RefUpdate;

/**
 * A ref's lock file left behind by a process killed in the middle of writing the ref. JGit takes
 * {@code <ref>.lock}, writes it and renames it over the ref in a few milliseconds; after a kill -9
 * the lock stays, and every later attempt at that ref fails with LOCK_FAILURE, so the commit could
 * never be held here again. A lock older than {@link #AGE} belongs to no live writer. Every ref
 * this node writes or deletes goes through {@link #update}, and the repository's open clears
 * every stale lock ({@link #clearAll}), {@code packed-refs.lock} included.
 */
final class StaleRefLock {
    static final Duration AGE = Duration.ofSeconds(10);

    private StaleRefLock() {
    }

    /** One attempt at a ref: a fresh {@link RefUpdate} run, its result. */
    @FunctionalInterface
    interface Attempt {
        RefUpdate.Result run() throws IOException;
    }

    /**
     * Runs {@code attempt}; if the ref was locked by a lock that proves stale, removes the lock and
     * runs it once more. A lock still young is someone's live write: its LOCK_FAILURE is returned.
     */
    static RefUpdate.Result update(Path gitDir, String ref, Attempt attempt) throws IOException {
        RefUpdate.Result result = attempt.run();
        if (result == RefUpdate.Result.LOCK_FAILURE && clear(gitDir, ref)) {
            result = attempt.run();
        }
        return result;
    }

    /** Removes every stale {@code *.lock} under {@code refs/}, and {@code packed-refs.lock}, {@code HEAD.lock}, {@code config.lock}; what went. */
    static List<Path> clearAll(Path gitDir) throws IOException {
        List<Path> removed = new ArrayList<>();
        List<Path> locks = new ArrayList<>();
        // At the top only git's own: the directory is not this class's to sweep.
        for (String name : new String[] {"packed-refs.lock", "HEAD.lock", "config.lock"}) {
            Path lock = gitDir.resolve(name);
            if (isLock(lock)) {
                locks.add(lock);
            }
        }
        Path refs = gitDir.resolve("refs");
        if (Files.isDirectory(refs)) {
            try (Stream<Path> all = Files.walk(refs)) {
                all.filter(StaleRefLock::isLock).forEach(locks::add);
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException)) {
                    throw e.getCause();
                }
            }
        }
        for (Path lock : locks) {
            String name = gitDir.relativize(lock).toString();
            if (clear(gitDir, name.substring(0, name.length() - ".lock".length())) && !Files.exists(lock)) {
                removed.add(lock);
            }
        }
        return removed;
    }

    private static boolean isLock(Path p) {
        return p.getFileName().toString().endsWith(".lock") && Files.isRegularFile(p);
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
