package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;

/**
 * What a job may write to its work directory, the one place of the volunteer's disk it can
 * write: without a bound, a stranger's code fills the disk (the sandbox hides the rest of the
 * machine, but a full disk stops the volunteer's own programs). The jobs of a node get at most
 * half of what is free when each starts, less a reserve the volunteer keeps ({@link #share}),
 * divided among the jobs that run at once ({@link NodeShare}); and at most {@link #MAX_ENTRIES} files and
 * directories, divided the same way ({@link #entriesFor}). Measured from outside, by walking the directory, since nothing the job says about
 * itself counts. A harness's result directory, its one writable place, is bounded alike ({@link JobRunner#diskBudget},
 * {@link #named}).
 */
public final class WorkDirBudget {
    static final long MIN_RESERVE = 1L << 30;
    public static final int MAX_ENTRIES = 200_000;
    /**
     * A job's count of files is never cut below this. Each slot's job had all of {@link #MAX_ENTRIES} (round 28): a node
     * of 16 slots let its jobs make 3.2 million empty files, more than the inodes of a 20 GB ext4 file system
     * (1.3 million), and a file system out of inodes stops the volunteer's programs as a full one does, with
     * space free (Java reads no count of free inodes to keep a floor of, as it does of bytes).
     */
    static final int MIN_ENTRIES = 20_000;
    /** However full the disk: a job that cannot write this much could not run at all. */
    static final long FLOOR = 16L << 20;

    private final Path dir;
    /** What was there before the job started (its checkout): the job is charged for what it adds. */
    private final long before;
    private final long maxBytes;
    private final long maxEntries;
    private final FileStore disk;
    /** The work directory's device: files deleted but held open there are the job's too ({@link DeletedFiles}). */
    private final long device;
    /** Free space on the disk below which the job is stopped, whoever took it ({@link #floor}). */
    private final long floorFree;
    private final DeletedFiles deleted;
    /** How the tree is walked while the job runs: by the node, or by the helper in the jobs' user namespace. */
    private final TreeUsage walk;
    /** Who writes there and what the directory is to them, as its overrun names them ({@link #named}). */
    private final String writer;
    private final String place;

    /**
     * A walk of a job's tree ({@link #usage}): the node's own ({@link #LOCAL}), or one run where a job's
     * directories can be listed whatever their modes: the root of the jobs' user namespace
     * ({@link NamespaceFds#usage}) for a job of a subordinate uid, whose 0700 directories (Python's
     * {@code tempfile.mkdtemp} makes them) the node, neither their owner nor root, cannot list.
     */
    interface TreeUsage {
        Usage measure(Path dir, long maxBytes, long maxEntries) throws IOException;
    }

    static final TreeUsage LOCAL = WorkDirBudget::usage;

    private WorkDirBudget(Path dir, long before, long maxBytes, long maxEntries, FileStore disk, long device,
            long floorFree, DeletedFiles deleted) {
        this(dir, before, maxBytes, maxEntries, disk, device, floorFree, deleted, LOCAL, "it", "its work directory");
    }

    private WorkDirBudget(Path dir, long before, long maxBytes, long maxEntries, FileStore disk, long device,
            long floorFree, DeletedFiles deleted, TreeUsage walk, String writer, String place) {
        this.writer = writer;
        this.place = place;
        this.maxEntries = maxEntries;
        this.walk = walk;
        this.deleted = deleted;
        this.dir = dir;
        this.before = before;
        this.maxBytes = maxBytes;
        this.disk = disk;
        this.device = device;
        this.floorFree = floorFree;
    }

    /** The budget for a job alone on its node starting now in {@code dir}, never above {@code cap}. */
    static WorkDirBudget forJob(Path dir, long cap) throws IOException {
        return forJob(dir, cap, NodeShare.ALONE);
    }

    /**
     * The budget for one of the jobs of {@code share} starting now in {@code dir}: a {@code ways}-th of
     * what one job alone may have ({@code cap}, or {@link #share} of the disk when less), so that the
     * jobs that run at once together write no more than one alone was let.
     */
    static WorkDirBudget forJob(Path dir, long cap, NodeShare share) throws IOException {
        FileStore disk = Files.getFileStore(dir);
        long before = usage(dir, Long.MAX_VALUE, Long.MAX_VALUE).bytes();
        long total = disk.getTotalSpace();
        long usable = disk.getUsableSpace();
        return new WorkDirBudget(dir, before, share.of(Math.min(cap, share(total, usable)), FLOOR), entriesFor(share), disk,
                (Long) Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS), floor(total, usable),
                DeletedFiles.onThisMachine());
    }

    /**
     * This budget with the job's descriptors read from {@code source}: a helper in the job's user
     * namespace where its uid is a subordinate one, whose descriptors the node cannot list itself.
     */
    WorkDirBudget withDescriptors(DescriptorSource source) {
        return new WorkDirBudget(dir, before, maxBytes, maxEntries, disk, device, floorFree,
                new DeletedFiles(source, DeletedFiles.MAX_DESCRIPTORS), walk, writer, place);
    }

    /** This budget with the tree walked by {@code walk} while the job runs (its start was measured by the node, owner then). */
    WorkDirBudget walkedBy(TreeUsage walk) {
        return new WorkDirBudget(dir, before, maxBytes, maxEntries, disk, device, floorFree, deleted, walk, writer, place);
    }

    /**
     * This budget with its overrun naming {@code writer} and {@code place} ("the harness", "its result
     * directory"): a directory other than a job's work directory that a job's process is given to write.
     */
    WorkDirBudget named(String writer, String place) {
        return new WorkDirBudget(dir, before, maxBytes, maxEntries, disk, device, floorFree, deleted, walk, writer, place);
    }

    /**
     * The files and directories one job of {@code share} may have in its work directory, its checkout's among them:
     * a {@code ways}-th of {@link #MAX_ENTRIES}, so that the jobs that run at once together make no more than one
     * alone was let, as with bytes; never below {@link #MIN_ENTRIES}.
     */
    static int entriesFor(NodeShare share) {
        return share.of(MAX_ENTRIES, MIN_ENTRIES);
    }

    /**
     * The volunteer's reserve, or half of what was free at the start when that was less. Jobs'
     * budgets ({@link #share}) leave the reserve free even when two slots' jobs use theirs, so a
     * disk below it means something is over: what the budget cannot see (files deleted but held
     * open past {@link DeletedFiles#MAX_DESCRIPTORS} descriptors), or the owner's own writing, for
     * which a stranger's job yields too.
     */
    static long floor(long totalBytes, long usableBytes) {
        return Math.min(reserve(totalBytes), usableBytes / 2);
    }

    private static long reserve(long totalBytes) {
        return Math.min(Math.max(MIN_RESERVE, totalBytes / 20), totalBytes / 4);
    }

    /** What a job alone on its node starting now in {@code dir} may have there: {@link #share} of its file system. */
    public static long shareOf(Path dir) throws IOException {
        return shareOf(dir, NodeShare.ALONE);
    }

    /** What one job of {@code share} starting now in {@code dir} may have there: its part of {@link #share}. */
    static long shareOf(Path dir, NodeShare share) throws IOException {
        return shareOf(dir, Long.MAX_VALUE, share);
    }

    /** As {@link #shareOf(Path, NodeShare)}, of what one job alone may have there when {@code cap} is less. */
    static long shareOf(Path dir, long cap, NodeShare share) throws IOException {
        FileStore disk = Files.getFileStore(dir);
        return share.of(Math.min(cap, share(disk.getTotalSpace(), disk.getUsableSpace())), FLOOR);
    }

    /**
     * Half of what is free less the volunteer's reserve: 5% of the file system, at least 1 GiB, but
     * never more than a quarter of it (a small /tmp in memory would otherwise leave jobs nothing).
     */
    static long share(long totalBytes, long usableBytes) {
        long reserve = reserve(totalBytes);
        return Math.max(FLOOR, (usableBytes - reserve) / 2);
    }

    /** Why the job must stop, if it has written past its budget; empty while it is within it. */
    Optional<String> overrun() throws IOException {
        return overrun(List.of());
    }

    /**
     * @param processes the job's processes alive now, whose files deleted but held open on the work
     *                  directory's disk count too: they have no name for the walk to find
     */
    Optional<String> overrun(List<ProcessHandle> processes) throws IOException {
        Usage used = walk.measure(dir, before + maxBytes, maxEntries);
        long held = used.bytes() - before > maxBytes || processes.isEmpty() ? 0 : deleted.bytes(processes, device);
        if (used.bytes() + held - before > maxBytes) {
            return Optional.of(writer + " wrote more than " + mib(maxBytes) + " MiB to " + place
                    + (held > 0 ? " (" + mib(held) + " MiB of it in files it deleted and holds open)" : ""));
        }
        if (used.entries() > maxEntries) {
            return Optional.of(writer + " made more than " + maxEntries + " files in " + place);
        }
        if (used.unmeasured().isPresent()) {
            // What the walk cannot see, it cannot count: a directory made unreadable, or nested
            // past the kernel's path limit, would otherwise hide any number of bytes.
            return Optional.of(writer + " hid part of " + place + " from the node's measuring ("
                    + used.unmeasured().get() + ")");
        }
        long free = disk.getUsableSpace();
        if (free < floorFree) {
            return Optional.of("its disk is down to " + mib(free) + " MiB free, below the " + mib(floorFree)
                    + " MiB the volunteer keeps");
        }
        return Optional.empty();
    }

    /** @param unmeasured why part of the tree could not be walked, if it could not */
    record Usage(long bytes, long entries, Optional<String> unmeasured) {
    }

    /**
     * Bytes on disk ({@link #onDisk}) and entries under {@code dir}, the walk stopping once past either bound.
     * Not {@code Files.walkFileTree}: it opens each directory with a plain {@code open(O_RDONLY)},
     * and a job that swaps a directory for a FIFO between the walk's {@code lstat} and that open
     * blocks the node's thread there until someone writes to the FIFO, which the job never does:
     * its time limit, measured by that thread, would never come. {@link JobTreeEntries} cannot block,
     * and loses no entry whose name is not valid in the JVM's encoding.
     */
    static Usage usage(Path dir, long maxBytes, long maxEntries) throws IOException {
        long bytes = 0;
        long entries = 1; // the directory itself, as a walk counts it
        BasicFileAttributes top = lstat(dir);
        if (top == null || !top.isDirectory()) {
            return new Usage(bytes, entries, Optional.empty());
        }
        ArrayDeque<JobTreeEntries.Entry> dirs = new ArrayDeque<>();
        dirs.push(new JobTreeEntries.Entry(dir, top));
        while (!dirs.isEmpty()) {
            JobTreeEntries.Entry d = dirs.pop();
            // Listed only if it is still the directory seen: one swapped for a link since is not followed.
            JobTreeEntries.Listing listed = JobTreeEntries.seen(d.path(), d.attributes(), maxEntries - entries + 1);
            if (listed == null) {
                BasicFileAttributes now;
                try {
                    now = lstat(d.path());
                } catch (FileSystemException e) {
                    // nested past the kernel's path limit, one chdir at a time
                    return new Usage(bytes, entries, Optional.of(whyUnlisted(d.path())));
                }
                if (now == null || !now.isDirectory()) {
                    continue; // removed or swapped by the job since it was seen: nothing of it to count
                }
                return new Usage(bytes, entries, Optional.of(whyUnlisted(d.path())));
            }
            if (listed.swapped()) {
                continue; // swapped for a link or another directory since it was seen: not this one to list
            }
            for (JobTreeEntries.Entry e : listed.entries()) {
                entries++;
                if (e.isDirectory()) {
                    dirs.push(e);
                }
                bytes += onDisk(e.attributes());
                if (bytes > maxBytes || entries > maxEntries) {
                    return new Usage(bytes, entries, Optional.empty());
                }
            }
        }
        return new Usage(bytes, entries, Optional.empty());
    }

    /**
     * What an entry takes on disk, as far as its attributes say: its size rounded up to whole blocks,
     * for every kind of entry. A file of one byte takes a block, a symbolic link's target past 60
     * bytes takes one (the budget summed regular files' sizes only: 200,000 links or one-byte files
     * took 800 MiB it did not see), and a directory's size is its blocks. Java gives no
     * {@code st_blocks}; blocks reserved past a file's end ({@code FALLOC_FL_KEEP_SIZE}) are
     * refused by the sandbox's {@link SeccompFilter} instead.
     */
    static long onDisk(BasicFileAttributes a) {
        long size = Math.max(0, a.size());
        return size > Long.MAX_VALUE - BLOCK ? size : (size + BLOCK - 1) / BLOCK * BLOCK;
    }

    /** The block size this counts in: ext4's and most file systems' (and a page, for tmpfs). */
    static final long BLOCK = 4096;

    /**
     * The names in directory {@code d} (a process's descriptors in {@code /proc}, whose names are
     * numbers: a tree a job writes is listed by {@link JobTreeEntries}), or null when it cannot be listed. {@code File.list} is the
     * C library's {@code opendir}, which opens with {@code O_DIRECTORY|O_NONBLOCK}: a FIFO or any
     * other non-directory swapped in under that name is refused at once instead of waited on.
     */
    static String[] list(Path d) {
        return d.toFile().list();
    }

    private static String whyUnlisted(Path d) {
        if (d.resolve(".").toString().getBytes(StandardCharsets.UTF_8).length >= 4096) {  // as it is listed
            return "File name too long";
        }
        return Files.isReadable(d) ? "a directory it could not be listed" : "permission denied";
    }

    /** The entry's own attributes (a link is a link), or null when it is gone. */
    private static BasicFileAttributes lstat(Path p) throws IOException {
        return JobTreeEntries.lstat(p);
    }

    private static long mib(long bytes) {
        return Math.max(1, bytes >> 20);
    }
}
