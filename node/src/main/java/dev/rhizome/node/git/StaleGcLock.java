package dev.rhizome.node.git;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a repack killed midway leaves in a repository, cleared when the repository is opened.
 *
 * <p>JGit's GC takes {@code gc.pid} (created, then held with an OS file lock while it runs) and
 * takes any {@code gc.pid} younger than 12 hours for a GC still running: after a kill -9 every
 * repack would quietly do nothing for half a day, and the packs would pile up (each look-up
 * searches them all). The file is stale when no process holds its lock (the kernel drops a
 * killed process's locks), or when it names a process of this host that is gone.
 *
 * <p>Its temporary files ({@code gc_*_tmp}, {@code commit_*_tmp}) and a pack renamed into place
 * without its index yet are unreachable bytes nothing else deletes soon (JGit only after a day),
 * which the byte budget would count as the repository's own: they go when no GC holds
 * {@code gc.pid}. A parser's or inserter's ({@code incoming_*}, {@code insert_*}, loose objects'
 * {@code noz*}) may belong to another process on the same directory (an agent's {@code rhizome}
 * command) importing this very moment: they go once {@link #IMPORT_AGE} old.
 */
final class StaleGcLock {
    private static final Logger log = LoggerFactory.getLogger(StaleGcLock.class);
    static final String GC_PID = "gc.pid";
    private static final Duration AGE = StaleRefLock.AGE;
    /** As {@code disk.DataJanitor} bounds a half-written pack: no import is silent that long. */
    static final Duration IMPORT_AGE = Duration.ofHours(1);

    private StaleGcLock() {
    }

    /** Clears a stale {@code gc.pid} and old temporary pack files; what it removed, for the log. */
    static List<Path> clear(Path gitDir) throws IOException {
        List<Path> removed = new ArrayList<>();
        Path pid = gitDir.resolve(GC_PID);
        boolean deadGc = isStale(pid) && Files.deleteIfExists(pid);
        if (deadGc) {
            removed.add(pid);
        }
        Path objects = gitDir.resolve("objects");
        Path pack = objects.resolve("pack");
        if (!Files.exists(pid)) {
            // No GC runs: its files are a dead one's. One running may go long without writing its
            // temporary pack (while it searches for deltas), so its age alone would not tell. When
            // this very call found its gc.pid left by a dead GC, they are that GC's, however young:
            // a node restarted at once after a kill in its repack opened the repository within
            // seconds and kept them as too young, until a repack (packs piling up again) came.
            Duration age = deadGc ? Duration.ZERO : AGE;
            removeOld(pack, "gc_*_tmp", age, removed);
            removeOld(objects.resolve("info"), "commit_*_tmp", age, removed);
            removeOrphanPacks(pack, removed);
        }
        // An import's or inserter's: the node's own imports are under its write lock, but an agent's
        // command on the same directory takes none, so only what is as old as the janitor's bound.
        removeOld(pack, "incoming_*", IMPORT_AGE, removed);
        removeOld(pack, "insert_*", IMPORT_AGE, removed);
        removeOld(objects, "noz*", IMPORT_AGE, removed);
        if (!removed.isEmpty()) {
            log.warn("removed what a repack or import cut short (the process killed) left in {}: {}", gitDir,
                    removed.stream().map(p -> gitDir.relativize(p).toString()).toList());
        }
        return removed;
    }

    /** Whether {@code gc.pid} is left over: no process holds its lock, or its process is gone. */
    static boolean isStale(Path pidFile) throws IOException {
        if (!Files.isRegularFile(pidFile)) {
            return false;
        }
        if (namesDeadProcessHere(pidFile)) {
            return true; // written only once its GC held the lock, so whatever the lock says
        }
        if (!isOld(pidFile)) {
            return false; // its GC may be between creating it and locking it
        }
        try (FileChannel ch = FileChannel.open(pidFile, StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                return false; // a GC in another process holds it
            }
            lock.release();
            return true;
        } catch (OverlappingFileLockException heldHere) {
            return false; // a GC of this process holds it
        } catch (NoSuchFileException gone) {
            return false;
        }
    }

    /** The file says {@code PID HOST}: true when HOST is this host and PID no live process. */
    private static boolean namesDeadProcessHere(Path pidFile) {
        try {
            String[] words = Files.readString(pidFile).trim().split("\\s+");
            if (words.length < 2 || !words[1].equals(InetAddress.getLocalHost().getHostName())) {
                return false;
            }
            return ProcessHandle.of(Long.parseLong(words[0])).map(p -> !p.isAlive()).orElse(true);
        } catch (IOException | RuntimeException unreadable) {
            return false; // the lock decides
        }
    }

    private static void removeOld(Path dir, String glob, Duration age, List<Path> removed) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, glob)) {
            for (Path f : files) {
                if (Files.isRegularFile(f) && isOlder(f, age) && Files.deleteIfExists(f)) {
                    removed.add(f);
                }
            }
        } catch (NoSuchFileException noDir) {
            // a new repository
        }
    }

    /** A pack whose index never came: JGit renames the pack into place first, so it was cut short there. */
    private static void removeOrphanPacks(Path pack, List<Path> removed) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(pack, "pack-*.pack")) {
            for (Path f : files) {
                String base = f.getFileName().toString();
                base = base.substring(0, base.length() - ".pack".length());
                if (!Files.exists(pack.resolve(base + ".idx")) && isOld(f)) {
                    for (String ext : new String[] {".pack", ".bitmap", ".keep", ".rev"}) {
                        Path part = pack.resolve(base + ext);
                        if (Files.deleteIfExists(part)) {
                            removed.add(part);
                        }
                    }
                }
            }
        } catch (NoSuchFileException noDir) {
            // a new repository
        }
    }

    private static boolean isOld(Path f) throws IOException {
        return isOlder(f, AGE);
    }

    private static boolean isOlder(Path f, Duration age) throws IOException {
        try {
            return System.currentTimeMillis() - Files.getLastModifiedTime(f).toMillis() >= age.toMillis();
        } catch (NoSuchFileException gone) {
            return false;
        }
    }
}
