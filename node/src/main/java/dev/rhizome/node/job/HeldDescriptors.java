package dev.rhizome.node.job;

import java.util.HashSet;
import java.util.List;
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
 * The descriptors come from a {@link DescriptorSource}: the node's own look at {@code /proc}, or a
 * helper's in the job's user namespace where the job's uid is a subordinate one.
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

    private final DescriptorSource source;
    private final int maxWatches;
    private final int maxPipes;

    HeldDescriptors(DescriptorSource source, int maxWatches, int maxPipes) {
        this.source = source;
        this.maxWatches = maxWatches;
        this.maxPipes = maxPipes;
    }

    /** The rule for one job of a {@link NodeShare}: its share of {@link #MAX_WATCHES} and {@link #MAX_PIPES}. */
    static TreeRule forJob(NodeShare share) {
        return forJob(share, DescriptorSource.onThisMachine());
    }

    /** As {@link #forJob(NodeShare)}, the descriptors read from {@code source}. */
    static TreeRule forJob(NodeShare share, DescriptorSource source) {
        return TreeRule.onceASecond(new HeldDescriptors(source, watchesFor(share), pipesFor(share)));
    }

    static int watchesFor(NodeShare share) {
        return share.of(MAX_WATCHES, MIN_WATCHES);
    }

    static int pipesFor(NodeShare share) {
        return share.of(MAX_PIPES, MIN_PIPES);
    }

    @Override
    public Optional<String> check(List<ProcessHandle> alive) {
        DescriptorSource.Look look = source.look(alive.stream().map(ProcessHandle::pid).toList(),
                DeletedFiles.MAX_DESCRIPTORS, maxWatches + 1L);
        if (look.blind() != null) {
            return Optional.of("the node could not look at its descriptors: " + look.blind());
        }
        if (look.more()) {
            // What the look cannot reach it cannot count (epoll watches, pipes, the held deleted
            // files of the work directory's budget, behind as many dummies), and no training job
            // holds this many.
            return Optional.of("it held more than " + DeletedFiles.MAX_DESCRIPTORS
                    + " descriptors, past which the node cannot count what they hold");
        }
        long watches = 0;
        Set<String> pipes = new HashSet<>();
        for (JobDescriptor d : look.descriptors()) {
            watches += d.watches();
            if (watches > maxWatches) {
                return Optional.of("it held more than " + maxWatches
                        + " epoll watches, which the kernel counts for its user on the whole machine");
            }
            // A pipe or a FIFO, named once for all who hold it (two paths may name one FIFO).
            if (d.pipeOrFifo() && pipes.add(d.dev() + ":" + d.ino()) && pipes.size() > maxPipes) {
                return Optional.of("it held more than " + maxPipes
                        + " pipes, whose pages the kernel counts for its user on the whole machine");
            }
        }
        return Optional.empty();
    }
}
