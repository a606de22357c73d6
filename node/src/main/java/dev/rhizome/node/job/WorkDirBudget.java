package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * What a job may write to its work directory, the one place of the volunteer's disk it can
 * write: without a bound, a stranger's code fills the disk (the sandbox hides the rest of the
 * machine, but a full disk stops the volunteer's own programs). The job gets at most half of
 * what is free when it starts, less a reserve the volunteer keeps ({@link #share}), so a second
 * slot's job still has room; and at most {@link #MAX_ENTRIES} files and
 * directories. Measured from outside, by walking the directory, since nothing the job says about
 * itself counts.
 */
public final class WorkDirBudget {
    static final long MIN_RESERVE = 1L << 30;
    public static final int MAX_ENTRIES = 200_000;
    /** However full the disk: a job that cannot write this much could not run at all. */
    static final long FLOOR = 16L << 20;

    private final Path dir;
    /** What was there before the job started (its checkout): the job is charged for what it adds. */
    private final long before;
    private final long maxBytes;

    private WorkDirBudget(Path dir, long before, long maxBytes) {
        this.dir = dir;
        this.before = before;
        this.maxBytes = maxBytes;
    }

    /** The budget for a job starting now in {@code dir}, never above {@code cap}. */
    static WorkDirBudget forJob(Path dir, long cap) throws IOException {
        FileStore disk = Files.getFileStore(dir);
        long before = usage(dir, Long.MAX_VALUE, Long.MAX_VALUE).bytes();
        return new WorkDirBudget(dir, before, Math.min(cap, share(disk.getTotalSpace(), disk.getUsableSpace())));
    }

    /** What a job starting now in {@code dir} may have there: {@link #share} of its file system. */
    public static long shareOf(Path dir) throws IOException {
        FileStore disk = Files.getFileStore(dir);
        return share(disk.getTotalSpace(), disk.getUsableSpace());
    }

    /**
     * Half of what is free less the volunteer's reserve: 5% of the file system, at least 1 GiB, but
     * never more than a quarter of it (a small /tmp in memory would otherwise leave jobs nothing).
     */
    static long share(long totalBytes, long usableBytes) {
        long reserve = Math.min(Math.max(MIN_RESERVE, totalBytes / 20), totalBytes / 4);
        return Math.max(FLOOR, (usableBytes - reserve) / 2);
    }

    /** Why the job must stop, if it has written past its budget; empty while it is within it. */
    Optional<String> overrun() throws IOException {
        Usage used = usage(dir, before + maxBytes, MAX_ENTRIES);
        if (used.bytes() - before > maxBytes) {
            return Optional.of("it wrote more than " + mib(maxBytes) + " MiB to its work directory");
        }
        if (used.entries() > MAX_ENTRIES) {
            return Optional.of("it made more than " + MAX_ENTRIES + " files in its work directory");
        }
        if (used.unmeasured().isPresent()) {
            // What the walk cannot see, it cannot count: a directory made unreadable, or nested
            // past the kernel's path limit, would otherwise hide any number of bytes.
            return Optional.of("it hid part of its work directory from the node's measuring ("
                    + used.unmeasured().get() + ")");
        }
        return Optional.empty();
    }

    /** @param unmeasured why part of the tree could not be walked, if it could not */
    private record Usage(long bytes, long entries, Optional<String> unmeasured) {
    }

    /** Bytes of regular files and entries under {@code dir}, the walk stopping once past either bound. */
    private static Usage usage(Path dir, long maxBytes, long maxEntries) throws IOException {
        long[] used = new long[2]; // bytes, entries
        String[] unmeasured = new String[1];
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                return count(0);
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                return count(attrs.isRegularFile() ? attrs.size() : 0);
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // removed by the job between listing and reading
                }
                unmeasured[0] = e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason()
                        : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getClass().getSimpleName();
                return FileVisitResult.TERMINATE;
            }

            private FileVisitResult count(long bytes) {
                used[0] += bytes;
                used[1]++;
                return used[0] > maxBytes || used[1] > maxEntries ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
            }
        });
        return new Usage(used[0], used[1], Optional.ofNullable(unmeasured[0]));
    }

    private static long mib(long bytes) {
        return Math.max(1, bytes >> 20);
    }
}
