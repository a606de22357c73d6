package dev.rhizome.coordinator.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Gathers the settling transactions (results) of a shared store into groups that share one
 * transaction and so one commit, as SQLite's committer groups every writer: a caller that arrives
 * while a group runs waits, and the callers waiting when it ends form the next group. No thread of
 * its own: the first caller of a group runs it (it leads), then hands the lead to the first caller
 * still waiting, so a caller is never held for groups it is not in. One group runs at a time per
 * store, so two groups of one coordinator never wait on each other's locks. Each caller is
 * answered only once its group's commit has returned, or with its own failure.
 */
final class SettlingGroups {
    /** Callers in one group at most: a group holds its members' settlement locks until its commit. */
    static final int MAX_GROUP = 32;

    /** Runs a group in one transaction: each member alone in a savepoint, then one commit; completes or fails each. */
    @FunctionalInterface
    interface Runner {
        void run(List<Member<?>> group);
    }

    private final Runner runner;
    private final Deque<Member<?>> waiting = new ArrayDeque<>();  // guarded by this
    private boolean leading;  // guarded by this: a caller is running a group

    SettlingGroups(Runner runner) {
        this.runner = runner;
    }

    /** Runs {@code work} in the next group; its value once that group has committed. */
    <T> T run(Store.Work<T> work) {
        Member<T> me = new Member<>(work);
        boolean lead;
        synchronized (this) {
            waiting.add(me);
            lead = !leading;
            leading = true;
        }
        if (lead || me.awaitLeadOrDone()) {
            leadOneGroup();
        }
        return me.await();
    }

    /** Callers waiting for a group (a test waits for them before it lets a group end). */
    synchronized int waiting() {
        return waiting.size();
    }

    /** Runs the group at the head of the queue (the leader is its first member), then passes the lead on. */
    private void leadOneGroup() {
        List<Member<?>> group = new ArrayList<>();
        synchronized (this) {
            while (!waiting.isEmpty() && group.size() < MAX_GROUP) {
                group.add(waiting.poll());
            }
        }
        try {
            runner.run(group);
        } catch (RuntimeException | Error e) {
            group.forEach(m -> m.fail(e));  // no effect on those already answered
        } finally {
            Member<?> next;
            synchronized (this) {
                next = waiting.peek();
                leading = next != null;
            }
            if (next != null) {
                next.lead();
            }
        }
    }

    /** One caller's settling work and its answer, or the lead of the next group handed to it. */
    static final class Member<T> extends GroupedWork<T> {
        private boolean leads;  // guarded by this

        Member(Store.Work<T> work) {
            super(work);
        }

        synchronized void lead() {
            leads = true;
            notifyAll();
        }

        /** Waits until answered (false) or handed the lead (true). */
        synchronized boolean awaitLeadOrDone() {
            boolean interrupted = false;
            while (!isDone() && !leads) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;  // the group may commit it anyway: its outcome must be reported
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return !isDone();
        }

        @Override
        synchronized T await() {
            if (!isDone()) {
                throw new IllegalStateException("a settling caller returned before its group ended");
            }
            return super.await();
        }
    }
}
