package dev.rhizome.coordinator.store;

/**
 * One caller's transaction run inside a group that shares one commit (SQLite's committer, PostgreSQL's
 * settling groups): the caller waits for its answer, which is given only once the group's commit has
 * returned ({@link #complete}) or with its own failure ({@link #fail}).
 */
class GroupedWork<T> {
    private final Store.Work<T> work;
    private T value;
    private Throwable failure;
    private boolean done;  // guarded by this

    GroupedWork(Store.Work<T> work) {
        this.work = work;
    }

    /** Runs the work; its value is kept for the caller until {@link #complete}. */
    final void run(Store.Transaction tx) {
        value = work.run(tx);
    }

    /** Answers the caller with the value its work returned: its group has committed. */
    final synchronized void complete() {
        done = true;
        notifyAll();
    }

    /** Answers the caller with {@code t}, unless it was answered already. */
    final synchronized void fail(Throwable t) {
        if (!done) {
            failure = t;
            done = true;
            notifyAll();
        }
    }

    final synchronized boolean isDone() {
        return done;
    }

    /** Waits for the answer: the work's value, or its failure thrown. */
    synchronized T await() {
        boolean interrupted = false;
        while (!done) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;  // the transaction may commit anyway; its outcome must be reported
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return value;
    }
}
