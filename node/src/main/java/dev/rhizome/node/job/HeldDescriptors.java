package dev.rhizome.node.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Bounds what a job's descriptors hold that the kernel counts for the job's uid on the whole
 * machine, where nothing stops a job taking all of it: the node counts from outside, once a second,
 * every job process's descriptors ({@code /proc/<pid>/fd}), and stops the job past a bound.
 *
 * <p>epoll watches: counted against {@code fs.epoll.max_user_watches} (about 4% of memory in
 * watches of some 200 bytes of kernel memory each, which RLIMIT_AS does not count); a job of two
 * processes took all 5.49 million, and no other process of its uid (the node itself, and the
 * volunteer's desktop, when the node does not run as root) could watch a descriptor while it ran.
 * Each epoll descriptor's {@code tfd:} lines in {@code /proc/<pid>/fdinfo} are counted.
 *
 * <p>Pipes (and FIFOs, which hold one while open): each takes 16 pages of its user's
 * {@code pipe-user-pages-soft} (16,384 by default, so 1,024 pipes) whether written or not, and past
 * that every new pipe of the user gets two pages and none may grow. Each is counted once however
 * many processes hold it. They cannot be grown inside ({@code F_SETPIPE_SZ} is refused by
 * {@link SeccompFilter}), so {@link #MAX_PIPES} of them take a quarter of that share.
 *
 * <p>A look reads at most {@link DeletedFiles#MAX_DESCRIPTORS} descriptors, so that a job holding
 * millions costs the node a bounded walk; a job holding more is stopped, since behind them it
 * could hide all of the above.
 */
final class HeldDescriptors implements TreeRule {
    /**
     * About 20 MiB of kernel memory, for all the node's jobs together ({@link #forJob} gives each its
     * share, as for pipes); an event loop watches one per connection or pipe it serves.
     */
    static final int MAX_WATCHES = 100_000;
    /** A quarter of the pipes a user has at full size by default; a data loader's worker uses two or three. */
    static final int MAX_PIPES = 256;
    /** A share is never cut below these: an event loop's and eight data loader workers' worth. */
    static final int MIN_WATCHES = 10_000;
    static final int MIN_PIPES = 32;
    static final String EPOLL = "anon_inode:[eventpoll]";
    static final String PIPE = "pipe:";
    /** The file type bits of a mode, and a FIFO's. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;

    private final Path proc;
    private final int maxWatches;
    private final int maxPipes;

    HeldDescriptors(Path proc, int maxWatches, int maxPipes) {
        this.proc = proc;
        this.maxWatches = maxWatches;
        this.maxPipes = maxPipes;
    }

    /** The rule for one job of a {@link NodeShare}: its share of {@link #MAX_WATCHES} and {@link #MAX_PIPES}. */
    static TreeRule forJob(NodeShare share) {
        return TreeRule.onceASecond(new HeldDescriptors(Path.of("/proc"), watchesFor(share), pipesFor(share)));
    }

    static int watchesFor(NodeShare share) {
        return share.of(MAX_WATCHES, MIN_WATCHES);
    }

    static int pipesFor(NodeShare share) {
        return share.of(MAX_PIPES, MIN_PIPES);
    }

    @Override
    public Optional<String> check(List<ProcessHandle> alive) {
        long watches = 0;
        Set<String> pipes = new HashSet<>();
        int looked = 0;
        for (ProcessHandle p : alive) {
            Path pid = proc.resolve(Long.toString(p.pid()));
            String[] fds = WorkDirBudget.list(pid.resolve("fd"));
            if (fds == null) {
                continue; // gone, or not the node's to look into
            }
            for (String fd : fds) {
                if (++looked > DeletedFiles.MAX_DESCRIPTORS) {
                    // What the look cannot reach it cannot count (epoll watches, pipes, the held
                    // deleted files of the work directory's budget, behind as many dummies), and no
                    // training job holds this many.
                    return Optional.of("it held more than " + DeletedFiles.MAX_DESCRIPTORS
                            + " descriptors, past which the node cannot count what they hold");
                }
                Path link = pid.resolve("fd").resolve(fd);
                String target = target(link);
                if (target.equals(EPOLL)) {
                    watches += watches(pid.resolve("fdinfo").resolve(fd), maxWatches - watches + 1);
                    if (watches > maxWatches) {
                        return Optional.of("it held more than " + maxWatches
                                + " epoll watches, which the kernel counts for its user on the whole machine");
                    }
                } else if (pipe(link, target).map(pipes::add).isPresent()) {
                    if (pipes.size() > maxPipes) {
                        return Optional.of("it held more than " + maxPipes
                                + " pipes, whose pages the kernel counts for its user on the whole machine");
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** What a descriptor's link names, or "" when it closed since listed. */
    private static String target(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * The pipe a descriptor holds, named once for all who hold it: its link for a pipe, its device
     * and inode for a FIFO (two paths may name one); empty for anything else.
     */
    private static Optional<String> pipe(Path fd, String target) {
        if (target.startsWith(PIPE)) {
            return Optional.of(target);
        }
        if (!target.startsWith("/")) {
            return Optional.empty(); // a socket, an anonymous inode, or closed since listed
        }
        try {
            Map<String, Object> a = Files.readAttributes(fd, "unix:mode,dev,ino");
            return ((Integer) a.get("mode") & S_IFMT) == S_IFIFO
                    ? Optional.of("fifo:" + a.get("dev") + ":" + a.get("ino")) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // closed since listed
        }
    }

    /** The watches an epoll descriptor's fdinfo lists, read up to {@code enough}. */
    private static long watches(Path fdinfo, long enough) {
        long n = 0;
        try (BufferedReader in = Files.newBufferedReader(fdinfo, StandardCharsets.US_ASCII)) {
            for (String line = in.readLine(); line != null && n < enough; line = in.readLine()) {
                if (line.startsWith("tfd:")) {
                    n++;
                }
            }
        } catch (IOException | RuntimeException e) {
            // closed since listed
        }
        return n;
    }
}
