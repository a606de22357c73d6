package dev.rhizome.node.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Bounds the epoll watches a job holds. The kernel counts them for the job's uid on the whole
 * machine, against one limit ({@code fs.epoll.max_user_watches}, about 4% of memory in watches of
 * some 200 bytes of kernel memory each, which RLIMIT_AS does not count): a job of two processes
 * took all 5.49 million of them, and no other process of its uid (the node itself, and the
 * volunteer's desktop, when the node does not run as root) could watch a descriptor while it ran.
 * Nothing stops a job making them, so the node counts them from outside once a second, each epoll
 * descriptor's {@code tfd:} lines in {@code /proc/<pid>/fdinfo}, and stops the job past
 * {@link #MAX_WATCHES}.
 */
final class EpollWatches implements TreeRule {
    /** About 20 MiB of kernel memory; an event loop watches one per connection or pipe it serves. */
    static final int MAX_WATCHES = 100_000;
    static final String EPOLL = "anon_inode:[eventpoll]";
    private static final long INTERVAL_NANOS = 1_000_000_000L;

    private final Path proc;
    private final int maxWatches;
    private long last = System.nanoTime();

    EpollWatches(Path proc, int maxWatches) {
        this.proc = proc;
        this.maxWatches = maxWatches;
    }

    static TreeRule forJob() {
        return new EpollWatches(Path.of("/proc"), MAX_WATCHES);
    }

    @Override
    public Optional<String> check(List<ProcessHandle> alive) {
        long now = System.nanoTime();
        if (now - last < INTERVAL_NANOS) {
            return Optional.empty();
        }
        last = now;
        long watches = 0;
        int looked = 0;
        for (ProcessHandle p : alive) {
            Path pid = proc.resolve(Long.toString(p.pid()));
            String[] fds = WorkDirBudget.list(pid.resolve("fd"));
            if (fds == null) {
                continue; // gone, or not the node's to look into
            }
            for (String fd : fds) {
                if (++looked > DeletedFiles.MAX_DESCRIPTORS) {
                    return Optional.empty(); // a bounded look, as the held files' count
                }
                if (epoll(pid.resolve("fd").resolve(fd))) {
                    watches += watches(pid.resolve("fdinfo").resolve(fd), maxWatches - watches + 1);
                    if (watches > maxWatches) {
                        return Optional.of("it held more than " + maxWatches
                                + " epoll watches, which the kernel counts for its user on the whole machine");
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static boolean epoll(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString().equals(EPOLL);
        } catch (IOException | RuntimeException e) {
            return false; // closed since listed
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
