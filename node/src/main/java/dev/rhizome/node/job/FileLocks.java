package dev.rhizome.node.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Bounds the file locks a job holds. Each byte range locked apart from its neighbours is a lock
 * of its own in kernel memory (some 200 bytes, which RLIMIT_AS does not count and no limit but a
 * cgroup does: RLIMIT_LOCKS has counted nothing since Linux 2.4), so a job locking every other
 * byte of its files took memory without end. The node counts them from outside once a second, the
 * lines of the machine's {@code /proc/locks} whose process is one of the job's (the node's view
 * gives each lock its holder's pid on the host), and stops the job past {@link #MAX_LOCKS}. Locks
 * of an open file description ({@code F_OFD_SETLK}) name no process there, and are refused inside
 * ({@link SeccompFilter}, as a kernel before them).
 */
final class FileLocks implements TreeRule {
    /** About 2 MiB of kernel memory for all the node's jobs together; a database holds a few locks per connection. */
    static final int MAX_LOCKS = 10_000;
    /** A share is never cut below this. */
    static final int MIN_SHARE = 1_000;

    private final Path locks;
    private final int maxLocks;

    FileLocks(Path locks, int maxLocks) {
        this.locks = locks;
        this.maxLocks = maxLocks;
    }

    /** The rule for one job of a {@link NodeShare}: its share of {@link #MAX_LOCKS}. */
    static TreeRule forJob(NodeShare share) {
        return TreeRule.onceASecond(new FileLocks(Path.of("/proc/locks"), limitFor(share)));
    }

    static int limitFor(NodeShare share) {
        return share.of(MAX_LOCKS, MIN_SHARE);
    }

    /** Why the job must stop, if {@code alive} hold more than the bound in the locks' file. */
    @Override
    public Optional<String> check(List<ProcessHandle> alive) {
        Set<String> pids = new HashSet<>();
        alive.forEach(p -> pids.add(Long.toString(p.pid())));
        int held = 0;
        try (BufferedReader in = Files.newBufferedReader(locks, StandardCharsets.US_ASCII)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (pids.contains(holder(line)) && ++held > maxLocks) {
                    return Optional.of("it held more than " + maxLocks
                            + " file locks, which take kernel memory no limit of its own counts");
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc/locks (a kernel without file locks): nothing to count
        }
        return Optional.empty();
    }

    /**
     * The pid a line of {@code /proc/locks} gives the lock's holder ("1: POSIX  ADVISORY  WRITE 5576
     * fe:00:2187574 0 EOF"; a waiter's line has "->" after the number), or "" if it has none.
     */
    static String holder(String line) {
        String[] f = line.trim().split("\\s+");
        int at = f.length > 1 && f[1].equals("->") ? 5 : 4;
        return f.length > at ? f[at] : "";
    }
}
