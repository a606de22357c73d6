package dev.rhizome.node.job;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A job's process and every descendant it has been seen with. Descendants are remembered while
 * the job runs because once their parent exits they are re-parented and no longer show up
 * under it; a process started and orphaned between two looks can still escape (only an OS
 * sandbox with its own process namespace or cgroup closes that gap).
 */
final class ProcessTree {
    private static final Duration EXIT_WAIT = Duration.ofSeconds(5);

    private final Process root;
    private final Set<ProcessHandle> seen = new LinkedHashSet<>();
    private final TreeRule rule;
    private Optional<String> broken = Optional.empty();
    private List<ProcessHandle> alive = List.of();
    private boolean killed;

    ProcessTree(Process root) {
        this.root = root;
        this.rule = root instanceof JobProcess job ? job.rule() : TreeRule.NONE;
    }

    /**
     * Remembers the descendants alive now, and holds them to the launcher's {@link TreeRule}; what
     * it could not keep is in {@link #broken}.
     */
    void look() {
        collect();
        if (broken.isEmpty()) {
            broken = rule.check(alive);
        }
    }

    /** Remembers the descendants alive now, without the rule: what a kill needs, at once. */
    private void collect() {
        List<ProcessHandle> now = new ArrayList<>();
        now.add(root.toHandle());
        root.descendants().forEach(now::add);
        seen.addAll(now.subList(1, now.size()));
        alive = List.copyOf(now);
    }

    /** The root and its descendants alive at the last {@link #look}. */
    List<ProcessHandle> alive() {
        return alive;
    }

    /** Why the job must stop: a rule of its launcher it broke, seen by a {@link #look}. */
    Optional<String> broken() {
        return broken;
    }

    /**
     * Kills the root and every descendant known or findable, then waits a bounded time for them
     * to go. Not interruptible: it runs while an interrupt is being handled, and must finish.
     */
    void kill() {
        collect();
        root.destroyForcibly();
        // Killed parents can't fork any more, but their children, already started, can: sweep until nothing new turns up.
        for (int round = 0; round < 10; round++) {
            List<ProcessHandle> known = new ArrayList<>(seen);
            for (ProcessHandle h : known) {
                h.descendants().forEach(seen::add);
                h.destroyForcibly();
            }
            if (seen.size() == known.size()) {
                break;
            }
        }
        long deadline = System.nanoTime() + EXIT_WAIT.toNanos();
        awaitExit(root.toHandle(), deadline);
        seen.forEach(h -> awaitExit(h, deadline));
    }

    private static void awaitExit(ProcessHandle handle, long deadline) {
        boolean interrupted = false;
        while (running(handle) && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Alive and not a zombie. A killed orphan stays a zombie until init reaps it, which some
     * container inits do late or never; it runs nothing any more, and isAlive() still says true.
     */
    static boolean running(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        try {
            String stat = readStat(handle.pid());
            int end = stat.lastIndexOf(')'); // the state follows the command name, which may hold anything
            return end < 0 || end + 2 >= stat.length() || stat.charAt(end + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return handle.isAlive(); // no /proc (not Linux), or the process is gone
        }
    }

    // Through RandomAccessFile, not Files: a FileChannel would turn an interrupt of the runner's
    // thread into a ClosedByInterruptException instead of letting it surface as an interrupt.
    static String readStat(long pid) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile("/proc/" + pid + "/stat", "r")) {
            byte[] buf = new byte[4096];
            int n = f.read(buf);
            return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
        }
    }
}
