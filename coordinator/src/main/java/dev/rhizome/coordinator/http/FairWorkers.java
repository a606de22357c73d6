package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.core.AddressScope;
import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker pool the routes run on, shared fairly between remote addresses. Each address has its
 * own queue; a free worker takes the next request of the next address in turn (round robin), not
 * the oldest request overall, and one address runs on at most {@code maxRunningPerAddress}
 * workers at once and queues at most {@code maxQueuedPerAddress} requests. So an address that
 * fills its share with slow requests gets 503s for its own excess while every other address still
 * finds a worker within one request's time and room in the queue; with a single FIFO queue it
 * used to hold every worker and the whole queue, and everyone else got 503s.
 * Requests of one address run in the order they came.
 *
 * <p>An address here is its {@link AddressScope}: an IPv6 client by its /64, since one host is
 * routinely given a whole /64 and could otherwise send from as many addresses as it likes, each
 * with a share of its own (IPv4 by the address).
 */
final class FairWorkers {
    private static final Logger LOG = LoggerFactory.getLogger(FairWorkers.class);

    private final int maxRunningPerAddress;
    private final int maxQueuedPerAddress;
    private final int maxQueued;
    private final Object lock = new Object();
    private final Map<String, Share> shares = new HashMap<>();
    /** Addresses with a queued request and a free place among their running ones, in turn order. */
    private final ArrayDeque<Share> ready = new ArrayDeque<>();
    private final List<Thread> threads = new ArrayList<>();
    private int queued;
    private boolean shutdown;

    /** One address scope's queued requests and how many of its requests are running. */
    private static final class Share {
        final String scope;
        final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        int running;

        Share(String scope) {
            this.scope = scope;
        }
    }

    FairWorkers(int workers, int maxQueued, int maxRunningPerAddress, int maxQueuedPerAddress, String name) {
        if (workers < 1 || maxQueued < 1 || maxRunningPerAddress < 1 || maxQueuedPerAddress < 1) {
            throw new IllegalArgumentException("worker pool sizes must be positive");
        }
        this.maxQueued = maxQueued;
        this.maxRunningPerAddress = maxRunningPerAddress;
        this.maxQueuedPerAddress = maxQueuedPerAddress;
        for (int i = 1; i <= workers; i++) {
            Thread t = new Thread(this::work, name + "-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /**
     * Queues a request of {@code from}, in the share of its address scope.
     *
     * @throws RejectedExecutionException when this address's queue or the whole queue is full, or the pool is shut down
     */
    void execute(InetAddress from, Runnable task) {
        synchronized (lock) {
            if (shutdown) {
                throw new RejectedExecutionException("the worker pool is shut down");
            }
            String scope = AddressScope.of(from);
            Share share = shares.computeIfAbsent(scope, Share::new);
            if (share.queue.size() >= maxQueuedPerAddress || queued >= maxQueued) {
                if (share.queue.isEmpty() && share.running == 0) {
                    shares.remove(scope);
                }
                throw new RejectedExecutionException("queue full for " + scope);
            }
            boolean wasIdle = share.queue.isEmpty();
            share.queue.addLast(task);
            queued++;
            if (wasIdle && share.running < maxRunningPerAddress) {
                ready.addLast(share);
                lock.notify();
            }
        }
    }

    private void work() {
        while (true) {
            Share share;
            Runnable task;
            synchronized (lock) {
                while (ready.isEmpty()) {
                    if (shutdown && queued == 0) {
                        return;
                    }
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                share = ready.pollFirst();
                task = share.queue.pollFirst();
                queued--;
                share.running++;
                if (!share.queue.isEmpty() && share.running < maxRunningPerAddress) {
                    ready.addLast(share);  // to the back: the other addresses waiting go first
                    lock.notify();  // and another free worker may take its next request
                }
            }
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                LOG.error("a request of {} failed outside its route", share.scope, e);
            } finally {
                synchronized (lock) {
                    share.running--;
                    if (!share.queue.isEmpty() && share.running == maxRunningPerAddress - 1) {
                        ready.addLast(share);  // it was held back at its cap, not waiting in turn
                        lock.notify();
                    } else if (share.queue.isEmpty() && share.running == 0) {
                        shares.remove(share.scope);
                    }
                    if (shutdown && queued == 0) {
                        lock.notifyAll();
                    }
                }
            }
        }
    }

    /** Accepts no more requests; those queued still run. */
    void shutdown() {
        synchronized (lock) {
            shutdown = true;
            lock.notifyAll();
        }
    }

    /** Stops the workers at once; queued requests are dropped. */
    void shutdownNow() {
        synchronized (lock) {
            shutdown = true;
            shares.values().forEach(s -> s.queue.clear());
            queued = 0;
            ready.clear();
            lock.notifyAll();
        }
        threads.forEach(Thread::interrupt);
    }

    /** Waits for the queued and running requests to finish, at most {@code timeout}; true when they did. */
    boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedJoin(t, left);
            if (t.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /** Requests waiting for a worker, of every address. */
    int queued() {
        synchronized (lock) {
            return queued;
        }
    }
}
