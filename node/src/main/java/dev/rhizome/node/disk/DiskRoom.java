package dev.rhizome.node.disk;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the disks a unit is worked on have room for one: the data directory (buffered unit, job
 * log, the result in the outbox) and the jobs' directory (the checkout). A node that claimed on a
 * full disk failed after the claim (the unit could not be buffered, checked out or its result
 * kept), so every claim became a lease left to expire, each halving its daily quota, once a
 * backoff, for as long as the disk stayed full. Below {@link #MIN_FREE_BYTES} free no unit is
 * claimed or started; the volunteer is told once, naming the directory, and once when there is
 * room again.
 */
public final class DiskRoom {
    private static final Logger log = LoggerFactory.getLogger(DiskRoom.class);
    /** What one unit needs at least: a checkout, its log and its result (a job's own budget is {@code WorkDirBudget}'s). */
    public static final long MIN_FREE_BYTES = 64L << 20;

    private final List<Path> dirs;
    private final long minFreeBytes;
    private String shortage;

    public DiskRoom(List<Path> dirs, long minFreeBytes) {
        this.dirs = List.copyOf(dirs);
        this.minFreeBytes = minFreeBytes;
    }

    /** Why no unit may be taken now ("disk full: ..."), or empty when every disk has room. */
    public synchronized Optional<String> shortage() {
        String now = null;
        for (Path dir : dirs) {
            long free = usableBytes(dir);
            if (free >= 0 && free < minFreeBytes) {
                now = "disk full: " + dir + " has " + mib(free) + " MiB free, a unit needs " + mib(minFreeBytes)
                        + " MiB; no work is claimed until there is room";
                break;
            }
        }
        if (now != null && shortage == null) {
            log.warn("{}", now);
        } else if (now == null && shortage != null) {
            log.info("disk has room again; claiming work");
        }
        shortage = now;
        return Optional.ofNullable(now);
    }

    /**
     * Whether {@code failure} (or a cause) is the file system refusing for want of space or quota,
     * as the JDK reports ENOSPC and EDQUOT: in the message of a plain IOException (a write), or as
     * a FileSystemException's reason (a create, a rename).
     */
    public static boolean isFull(Throwable failure) {
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            String reason = t instanceof FileSystemException f ? f.getReason() : t.getMessage();
            if (reason != null && (reason.endsWith("No space left on device") || reason.endsWith("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    /** Free bytes where {@code dir} lives (its nearest existing ancestor), -1 when it cannot be told. */
    private static long usableBytes(Path dir) {
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                try {
                    return Files.getFileStore(p).getUsableSpace();
                } catch (IOException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
