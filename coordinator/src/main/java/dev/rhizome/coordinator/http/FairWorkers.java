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
 * The worker pool the routes run on, shared fairly between networks and, within each, between
 * addresses. Each address has its own queue; a free worker takes the next network in turn, and in
 * it the next address in turn (round robin at both levels), not the oldest request overall. A
 * network runs on at most {@code perNetwork.running} workers and queues at most
 * {@code perNetwork.queued} requests, an address at most its own {@code perAddress} share of
 * those. So an address that fills its share with slow requests gets 503s for its own excess while
 * its neighbours still have the rest of their network's share and every other network its own;
 * with a single FIFO queue it used to hold every worker and the whole queue, and everyone else got
 * 503s. Requests of one address run in the order they came.
 *
 * <p>An address here is its {@link AddressScope} (an IPv6 client by its /64), a network its
 * {@link AddressScope#network} (an IPv4 /24, an IPv6 /48). The network level is what bounds a
 * client with many addresses: a /48 is a routine allocation and holds 65,536 /64s, each of which
 * had a whole share when addresses were the only level.
 */
final class FairWorkers {
    private static final Logger LOG = LoggerFactory.getLogger(FairWorkers.class);

    /** What one address, or one network, may hold: requests running and requests queued. */
    record Share(int running, int queued) {
        Share {
            if (running < 1 || queued < 1) {
                throw new IllegalArgumentException("worker pool sizes must be positive");
            }
        }
    }

    private final Share perAddress;
    private final Share perNetwork;
    private final int maxQueued;
    private final Object lock = new Object();
    private final Map<String, Network> networks = new HashMap<>();
    /** Networks with a ready address and a free place among their running requests, in turn order. */
    private final ArrayDeque<Network> ready = new ArrayDeque<>();
    private final List<Thread> threads = new ArrayList<>();
    private int queued;
    private boolean shutdown;

    /** One address scope's queued requests and how many of its requests are running. */
    private static final class Address {
        final String scope;
        final Network network;
        final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        int running;
        boolean inTurn;

        Address(String scope, Network network) {
            this.scope = scope;
            this.network = network;
        }
    }

    /** One network's addresses, those of them ready to run, and its counts across them. */
    private static final class Network {
        final String name;
        final Map<String, Address> addresses = new HashMap<>();
        final ArrayDeque<Address> ready = new ArrayDeque<>();
        int running;
        int queued;
        boolean inTurn;

        Network(String name) {
            this.name = name;
        }
    }

    /** Shares per address only: a network may hold every worker and the whole queue. */
    FairWorkers(int workers, int maxQueued, int maxRunningPerAddress, int maxQueuedPerAddress, String name) {
        this(workers, maxQueued, new Share(maxRunningPerAddress, maxQueuedPerAddress),
                new Share(Math.max(workers, maxRunningPerAddress), Math.max(maxQueued, maxQueuedPerAddress)), name);
    }

    FairWorkers(int workers, int maxQueued, Share perAddress, Share perNetwork, String name) {
        if (workers < 1 || maxQueued < 1) {
            throw new IllegalArgumentException("worker pool sizes must be positive");
        }
        if (perAddress.running() > perNetwork.running() || perAddress.queued() > perNetwork.queued()) {
            throw new IllegalArgumentException("an address's share can't exceed its network's: " + perAddress
                    + " > " + perNetwork);
        }
        this.maxQueued = maxQueued;
        this.perAddress = perAddress;
        this.perNetwork = perNetwork;
        for (int i = 1; i <= workers; i++) {
            Thread t = new Thread(this::work, name + "-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /**
     * Queues a request of {@code from}, in the share of its address scope and network.
     *
     * @throws RejectedExecutionException when this address's, its network's or the whole queue is full,
     *                                    or the pool is shut down
     */
    void execute(InetAddress from, Runnable task) {
        synchronized (lock) {
            if (shutdown) {
                throw new RejectedExecutionException("the worker pool is shut down");
            }
            String scope = AddressScope.of(from);
            Network network = networks.computeIfAbsent(AddressScope.network(scope), Network::new);
            Address address = network.addresses.computeIfAbsent(scope, s -> new Address(s, network));
            if (address.queue.size() >= perAddress.queued() || network.queued >= perNetwork.queued()
                    || queued >= maxQueued) {
                forgetIfIdle(address);
                throw new RejectedExecutionException("queue full for " + scope);
            }
            address.queue.addLast(task);
            address.network.queued++;
            queued++;
            offer(address);
        }
    }

    /**
     * Puts an address, then its network, at the back of their turns when it can run a request now
     * and is not already waiting its turn. Only a worker taking a turn removes one, and only that
     * (or a request finishing) makes one unable to run, so what waits in turn can always run.
     */
    private void offer(Address address) {
        Network network = address.network;
        if (!address.inTurn && !address.queue.isEmpty() && address.running < perAddress.running()) {
            address.inTurn = true;
            network.ready.addLast(address);
        }
        offer(network);
    }

    private void offer(Network network) {
        if (!network.inTurn && !network.ready.isEmpty() && network.running < perNetwork.running()) {
            network.inTurn = true;
            ready.addLast(network);
            lock.notify();
        }
    }

    private void forgetIfIdle(Address address) {
        if (address.queue.isEmpty() && address.running == 0) {
            Network network = address.network;
            network.addresses.remove(address.scope);
            if (network.addresses.isEmpty()) {
                networks.remove(network.name);
            }
        }
    }

    private void work() {
        while (true) {
            Address address;
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
                Network network = ready.pollFirst();
                network.inTurn = false;
                address = network.ready.pollFirst();
                address.inTurn = false;
                task = address.queue.pollFirst();
                queued--;
                network.queued--;
                network.running++;
                address.running++;
                offer(address);  // to the back of both turns: the others waiting go first
            }
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                LOG.error("a request of {} failed outside its route", address.scope, e);
            } finally {
                synchronized (lock) {
                    address.running--;
                    address.network.running--;
                    offer(address);  // and its network, which may have been held at its cap
                    forgetIfIdle(address);
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
            networks.values().forEach(n -> n.addresses.values().forEach(a -> a.queue.clear()));
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
