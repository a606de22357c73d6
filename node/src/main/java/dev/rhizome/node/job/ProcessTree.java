package dev.rhizome.node.job;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
    private boolean killed;

    ProcessTree(Process root) {
        this.root = root;
    }

    /** Remembers the descendants alive now. */
    void look() {
        root.descendants().forEach(seen::add);
    }

    /**
     * Kills the root and every descendant known or findable, then waits a bounded time for them
     * to go. Not interruptible: it runs while an interrupt is being handled, and must finish.
     */
    void kill() {
        look();
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
        while (handle.isAlive() && System.nanoTime() - deadline < 0) {
            try {
                handle.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | TimeoutException e) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
