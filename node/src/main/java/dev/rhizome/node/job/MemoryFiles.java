package dev.rhizome.node.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Bounds the files a sandboxed job keeps in its memory mounts, {@code /tmp} and {@code /dev/shm}.
 * bubblewrap sizes them ({@code --size}) but sets no {@code nr_inodes}, and an empty file there
 * takes about a kilobyte of kernel memory that the size does not count (100,000 empty files in a
 * 16 MiB {@code /tmp}: 99 MiB of slab), nor does RLIMIT_AS. The node cannot mount them otherwise
 * (bubblewrap 0.8 has no option for it, and the job has no capability to), so it counts them from
 * outside, as it does the work directory: through {@code /proc/<pid>/root} of a process in the
 * sandbox's mount namespace, once a second, and stops the job past {@link #MAX_ENTRIES}. A file
 * deleted but held open there has no name for the walk and keeps its inode all the same (a job of
 * three processes held 7,500 so past its share of 6,250, unseen): the node counts those too, from the job
 * processes' descriptors ({@link DeletedFiles#files}), on the devices the job's own
 * {@code mountinfo} names for the two mounts.
 *
 * <p>A directory the job swaps for a symbolic link between the walk's look and its open is
 * followed, from the node's root (as with the work directory's walk): it is only counted, up to
 * the bound, and can only get the job itself stopped.
 */
final class MemoryFiles implements TreeRule {
    /** About 50 MiB of kernel memory for all the node's jobs together; a compiler's cache in /tmp holds a few thousand. */
    static final int MAX_ENTRIES = 50_000;
    /** A share is never cut below this. */
    static final int MIN_SHARE = 5_000;
    static final List<String> MOUNTS = List.of("tmp", "dev/shm");
    private static final long INTERVAL_NANOS = 1_000_000_000L;

    private final Path proc;
    private final int maxEntries;
    private final Optional<Path> ownMounts;
    /**
     * Who counts a job process's memory mounts: the node itself through {@code /proc/<pid>/root}, or,
     * for a job of a subordinate uid, the helper in the jobs' user namespace ({@link NamespaceFds#memoryFiles}),
     * which may list the directories the job made there whatever their modes; the node, neither their
     * owner nor root, may not.
     */
    interface Counter {
        Optional<String> count(long pid, int maxEntries);
    }

    private final Optional<Counter> counter;
    /** Counts the job's held files without a name; empty where the walk is all (the helper's own count). */
    private final Optional<DeletedFiles> held;
    /** The first count comes a second after the start, once bubblewrap has made the job's root. */
    private long last = System.nanoTime();

    MemoryFiles(Path proc, int maxEntries) {
        this(proc, maxEntries, Optional.empty(), Optional.empty());
    }

    private MemoryFiles(Path proc, int maxEntries, Optional<Counter> counter, Optional<DeletedFiles> held) {
        this.counter = counter;
        this.held = held;
        this.proc = proc;
        this.maxEntries = maxEntries;
        this.ownMounts = link(proc.resolve("self/ns/mnt"));
    }

    /**
     * The rule for one job of a {@link NodeShare}: its share of {@link #MAX_ENTRIES}, the files it holds
     * without a name read from {@code fds}.
     */
    static TreeRule forSandbox(NodeShare share, DescriptorSource fds) {
        return new MemoryFiles(Path.of("/proc"), limitFor(share), Optional.empty(), Optional.of(heldIn(fds)));
    }

    /** {@link #forSandbox}, the walk done by {@code counter} (the helper in the jobs' user namespace). */
    static TreeRule forSandbox(NodeShare share, Counter counter, DescriptorSource fds) {
        return new MemoryFiles(Path.of("/proc"), limitFor(share), Optional.of(counter), Optional.of(heldIn(fds)));
    }

    private static DeletedFiles heldIn(DescriptorSource fds) {
        return new DeletedFiles(fds, DeletedFiles.MAX_DESCRIPTORS);
    }

    static int limitFor(NodeShare share) {
        return share.of(MAX_ENTRIES, MIN_SHARE);
    }

    @Override
    public Optional<String> check(List<ProcessHandle> alive) {
        long now = System.nanoTime();
        if (now - last < INTERVAL_NANOS || ownMounts.isEmpty()) {
            return Optional.empty();
        }
        last = now;
        for (ProcessHandle p : alive) {
            Path pid = proc.resolve(Long.toString(p.pid()));
            Optional<Path> mounts = link(pid.resolve("ns/mnt"));
            if (mounts.isEmpty() || mounts.equals(ownMounts)) {
                continue; // gone, or one of the launcher's own processes before the sandbox
            }
            Optional<Object> itsRoot = fileKey(pid.resolve("root/."));
            if (itsRoot.isEmpty() || itsRoot.equals(fileKey(Path.of("/")))) {
                // A process the node may not look into (or gone), or bubblewrap's before it left the
                // host's root: the host's /tmp is not the job's. Another may do.
                continue;
            }
            long unnamed = held.isEmpty() ? 0 : held.get().files(alive, mountDevices(pid.resolve("mountinfo")));
            if (unnamed > maxEntries) {
                return Optional.of(tooMany(unnamed));
            }
            int walkLimit = (int) (maxEntries - unnamed);
            Optional<String> walked = counter.isPresent() ? counter.get().count(p.pid(), walkLimit)
                    : count(pid.resolve("root"), walkLimit);
            // The walk's own words name the bound it was given, which is what the held files left of the job's.
            return unnamed > 0 && walked.isPresent() && walked.get().startsWith(MADE_MORE)
                    ? Optional.of(tooMany(unnamed)) : walked;
        }
        return Optional.empty();
    }

    private static final String MADE_MORE = "it made more than ";

    private String tooMany(long unnamed) {
        return MADE_MORE + maxEntries + " files in its /tmp and /dev/shm (" + unnamed + " of them deleted but held open)";
    }

    /**
     * The devices of the mounts at {@code /tmp} and {@code /dev/shm} in a job process's {@code mountinfo}
     * (its own root's view), encoded as {@code stat} reports them; none when it cannot be read.
     */
    static Set<Long> mountDevices(Path mountinfo) {
        List<String> lines;
        try {
            lines = Files.readAllLines(mountinfo, StandardCharsets.ISO_8859_1);
        } catch (IOException | UncheckedIOException gone) {
            return Set.of();
        }
        Set<Long> devices = new HashSet<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f.length > 4 && MOUNTS.contains(f[4].substring(1))) {
                String[] majorMinor = f[2].split(":");
                try {
                    devices.add(statDevice(Long.parseLong(majorMinor[0]), Long.parseLong(majorMinor[1])));
                } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                    // not a line of the kernel's format: nothing to take from it
                }
            }
        }
        return devices;
    }

    /** glibc's {@code makedev}: the {@code st_dev} that {@code unix:dev} answers for a device of these numbers. */
    static long statDevice(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    /**
     * Why the job must stop, if its memory mounts under {@code root} hold too much or hide it. Walked
     * as {@link WorkDirBudget} walks the work directory, never by {@code Files.walkFileTree}: its
     * plain {@code open} of a directory the job swapped for a FIFO would block the node's thread.
     */
    Optional<String> count(Path root) {
        return count(root, maxEntries);
    }

    /** {@link #count(Path)} against a bound of {@code maxEntries}. */
    private Optional<String> count(Path root, long maxEntries) {
        long entries = 0;
        for (String mount : MOUNTS) {
            Path top = root.resolve(mount);
            Optional<Map<String, Object>> topAttrs;
            try {
                topAttrs = attributes(top);
            } catch (UncheckedIOException e) {
                topAttrs = Optional.empty();
            }
            if (topAttrs.isEmpty()) {
                continue; // not there, or the process ended under the walk: the next look takes another
            }
            Object device = topAttrs.get().get("dev");
            BasicFileAttributes topSeen;
            try {
                topSeen = JobTreeEntries.lstat(top);
            } catch (IOException e) {
                topSeen = null;
            }
            if (topSeen == null || !topSeen.isDirectory()) {
                continue;
            }
            ArrayDeque<JobTreeEntries.Entry> dirs = new ArrayDeque<>();
            dirs.push(new JobTreeEntries.Entry(top, topSeen));
            while (!dirs.isEmpty()) {
                JobTreeEntries.Entry d = dirs.pop();
                // Listed only if it is still the directory seen: one swapped for a link since is not followed.
                JobTreeEntries.Listing listed = JobTreeEntries.seen(d.path(), d.attributes(), maxEntries - entries + 1);
                if (listed == null) {
                    Optional<Map<String, Object>> now;
                    try {
                        now = attributes(d.path());
                    } catch (UncheckedIOException e) {
                        now = Optional.empty();
                    }
                    if (now.isEmpty() || !directory(now.get())) {
                        continue; // removed or swapped since it was seen: nothing of it to count
                    }
                    return Optional.of("it hid part of its /tmp or /dev/shm from the node's measuring"
                            + " (a directory the node may not read)");
                }
                if (listed.swapped()) {
                    continue; // swapped for a link or another directory since it was seen: not this one to list
                }
                for (JobTreeEntries.Entry e : listed.entries()) {
                    Path p = e.path();
                    Optional<Map<String, Object>> a = Optional.empty();
                    if (e.isDirectory()) {
                        try {
                            a = attributes(p);
                        } catch (UncheckedIOException x) {
                            // nested past the kernel's path limit, or in a directory the node may list but not enter
                            return Optional.of("it hid part of its /tmp or /dev/shm from the node's measuring ("
                                    + (x.getCause() instanceof AccessDeniedException ? "permission denied" : "path too long") + ")");
                        }
                        if (a.isPresent() && directory(a.get()) && !device.equals(a.get().get("dev"))) {
                            continue; // another mount (the checkout, bound under /tmp): not this one's to count
                        }
                    }
                    if (++entries > maxEntries) {
                        return Optional.of(MADE_MORE + maxEntries + " files in its /tmp and /dev/shm");
                    }
                    if (e.isDirectory()) {
                        dirs.push(e);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static boolean directory(Map<String, Object> attributes) {
        return (((Integer) attributes.get("mode")) & 0170000) == 0040000;
    }

    /**
     * The entry's own device and mode (a link is a link); empty when it is gone.
     *
     * @throws java.io.UncheckedIOException when it cannot be read for another reason (a path past the
     *         limit, a directory the node may not enter)
     */
    private static Optional<Map<String, Object>> attributes(Path p) {
        try {
            return Optional.of(Files.readAttributes(p, "unix:dev,mode", LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // gone
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The device and inode of what {@code path} leads to. */
    private static Optional<Object> fileKey(Path path) {
        try {
            return Optional.ofNullable(Files.readAttributes(path, BasicFileAttributes.class).fileKey());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<Path> link(Path path) {
        try {
            return Optional.of(Files.readSymbolicLink(path));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }
}
