package dev.rhizome.node.job;

/**
 * One of the jobs that may run at once on a node (its slots' jobs; a harness and the model it
 * questions), and its share of what the node lets all of them take together: what the kernel
 * counts for the node's uid on the host (tasks, pending signals, pipe pages, epoll watches) and
 * kernel memory no limit of the job's own counts (mappings, file locks, files in memory). Each
 * bound used to be per job, so several slots' jobs together took several times it, each within
 * its own.
 *
 * @param ways how many jobs share the node's budget at once, each taking a {@code ways}-th
 */
record NodeShare(int ways) {
    static final NodeShare ALONE = new NodeShare(1);

    NodeShare {
        if (ways < 1) {
            throw new IllegalArgumentException("a budget is shared by at least one job, not " + ways);
        }
    }

    /** This share of it again, for {@code more} jobs that run at once within it. */
    NodeShare times(int more) {
        return new NodeShare(Math.multiplyExact(ways, new NodeShare(more).ways));
    }

    /**
     * A {@code ways}-th of {@code whole}, never under {@code floor} (what a job needs to run at all,
     * past which the shares together may exceed the whole) nor above {@code whole}.
     */
    long of(long whole, long floor) {
        return Math.max(Math.min(whole, floor), whole / ways);
    }

    int of(int whole, int floor) {
        return (int) of((long) whole, floor);
    }
}
