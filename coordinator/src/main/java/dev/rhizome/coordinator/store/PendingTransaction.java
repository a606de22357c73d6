package dev.rhizome.coordinator.store;

/**
 * One caller's transaction, queued for a group commit: the caller's thread waits here until the
 * commit its work was part of is durable (or failed), then gets the work's value or its failure.
 */
final class PendingTransaction<T> {
    /** Tells a committer thread to finish what is queued before it and stop. */
    static final PendingTransaction<Object> STOP = new PendingTransaction<>(tx -> null);

    private final Store.Work<T> work;
    private T value;
    private Throwable failure;
    private boolean done;

    PendingTransaction(Store.Work<T> work) {
        this.work = work;
    }

    /** Runs the work (again, if an earlier attempt of its group was rolled back). */
    void run(Store.Transaction tx) {
        value = work.run(tx);
    }

    synchronized void complete() {
        done = true;
        notifyAll();
    }

    /** No effect once completed or failed. */
    synchronized void fail(Throwable t) {
        if (!done) {
            failure = t;
            done = true;
            notifyAll();
        }
    }

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
