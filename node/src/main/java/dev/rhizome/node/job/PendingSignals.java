package dev.rhizome.node.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Bounds the signals a job keeps pending. The kernel counts each queued signal for the job's uid
 * in its user namespace and, above it, for the uid on the host (the node user's own when the node
 * is not root), but it queues the standard (non-real-time) signals sent by {@code kill}, by the
 * kernel, or by a thread to itself with a non-negative {@code si_code} past any limit: one of each
 * signal per process (shared) and per thread (private). A job of 53 tasks blocking them held 2,550
 * under its RLIMIT_SIGPENDING of 1,024; one of 4,096 tasks can hold some 230,000, past the host
 * uid's own limit (96,362 on the development machine), and while it does, every real-time signal
 * and POSIX timer of that uid's other processes is refused. The node reads the job's count (the
 * {@code SigQ} line of a process inside its user namespace: all the job's processes share it, and
 * a job cannot make another, {@code --disable-userns}) at each of the runner's looks (every 50 ms:
 * a few small files, and a job queues thousands in a second) and stops the job past
 * twice its own RLIMIT_SIGPENDING: that limit's worth of real-time signals and as many standard ones
 * again ({@link #MAX_PENDING} for a job alone on its node; jobs that run at once divide it, as they
 * divide the limit, so that together they hold no more than one alone was let).
 */
final class PendingSignals implements TreeRule {
    static final int MAX_PENDING = 2 * BwrapCommand.PENDING_SIGNALS;
    /** The standard signals that can be held pending: 1 to 31 but SIGKILL and SIGSTOP. */
    static final int STANDARD_SIGNALS = 29;
    /** Held by one task at most: each standard signal in its thread's queue and in its process's. */
    static final int STANDARD_PER_TASK = 2 * STANDARD_SIGNALS;


    private final Path proc;
    private final int maxPending;

    PendingSignals(Path proc, int maxPending) {
        this.proc = proc;
        this.maxPending = maxPending;
    }

    /**
     * The most tasks a job may have so that, holding every standard signal it can (past any limit) and
     * its own limit's worth of real-time ones, it takes at most half of {@code sigpending}, the
     * limit of the uid it shares with the node on the host: the node and the volunteer's other
     * programs keep the other half, between two of the node's looks or without them. At least 1.
     */
    static long tasksWithin(long sigpending) {
        return Math.max(1, (sigpending / 2 - BwrapCommand.PENDING_SIGNALS) / STANDARD_PER_TASK);
    }

    /** The rule for a job under {@code limits}: stopped past twice its own RLIMIT_SIGPENDING. */
    static TreeRule forJob(SandboxLimits limits) {
        return new PendingSignals(Path.of("/proc"), 2 * limits.pendingSignals());
    }

    @Override
    public Optional<String> check(List<ProcessHandle> alive) {
        for (ProcessHandle p : alive) {
            OptionalLong pending = insideCount(proc.resolve(Long.toString(p.pid())).resolve("status"));
            if (pending.isPresent()) {
                return pending.getAsLong() > maxPending
                        ? Optional.of("it held more than " + maxPending + " pending signals (" + pending.getAsLong()
                                + "), which its uid's count on the host takes")
                        : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /**
     * The pending signals counted for the job's user namespace, read from the {@code status} of one
     * of its processes; empty for a process outside the sandbox's namespaces (the launcher's shells
     * and bubblewrap's parent, whose {@code SigQ} is the host's count for their uid, everyone's) or one
     * gone. {@code status} is readable by anyone, a process made undumpable included.
     */
    static OptionalLong insideCount(Path status) {
        String text;
        try {
            text = Files.readString(status, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException gone) {
            return OptionalLong.empty();
        }
        String nsPid = field(text, "NSpid");
        String sigQ = field(text, "SigQ");
        if (nsPid == null || sigQ == null || nsPid.split("\\s+").length < 2) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(sigQ.substring(0, sigQ.indexOf('/'))));
        } catch (RuntimeException malformed) {
            return OptionalLong.empty();
        }
    }

    private static String field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).strip();
            }
        }
        return null;
    }
}
