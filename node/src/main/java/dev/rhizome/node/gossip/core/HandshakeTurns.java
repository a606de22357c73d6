package dev.rhizome.node.gossip.core;

import dev.rhizome.node.rate.TokenBucket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Turns for inbound gossip handshakes, shared fairly among remote addresses. Answering a hello
 * costs this node an Ed25519 verification and a signature, and the dialler can send one hello again
 * and again (connect, send, close) at no cost of its own; so handshakes are taken at most
 * {@link #PER_SECOND} a second (a burst of as many), and while several addresses wait, in turn,
 * one each: an address alone takes the whole budget (nodes behind one NAT, or a test network on
 * loopback, link as fast as before), and a flood from one address gets only its share while others
 * wait. What waits is bounded ({@link #MAX_WAITING_PER_ADDRESS} an address, {@link #MAX_WAITING}
 * in all, shared max-min): past that a hello is refused at once, and its dialler backs off and redials.
 *
 * <p>Turns go first to networks ({@link NetworkGroup}: an IPv4 /16, an IPv6 /32), one each in turn,
 * then to the addresses of a network, one each in turn; room in a full queue is made from the network
 * with the most waiting. A rogue holding addresses in many /24s of a few networks takes a turn per
 * network, not per address, and cannot fill the queue against a newcomer of another network (before
 * round 25 a thousand of its addresses, one hello each, had every other network's hello refused and
 * the rest wait a turn per rogue address: 20 s). An honest address inside the rogue's own network
 * still waits behind that network's addresses, one each in turn (Bitcoin's netgroups draw the same
 * line); it links meanwhile by the links its node dials out. In a full queue it takes the place of
 * the newest hello of its network's busiest address (before, a rogue holding 16 addresses there
 * and the queue full had every hello of that network's other addresses refused for as long as it
 * kept hellos coming).
 *
 * <p>Pure: time is passed in. Not thread-safe: the driver serialises calls.
 *
 * @param <T> what a turn starts (the driver's waiting handshake)
 */
public final class HandshakeTurns<T> {
    /** Handshakes a second in all: a few ms of CPU, and far more than honest links open (a node keeps about 6). */
    public static final int PER_SECOND = 50;
    static final int MAX_WAITING_PER_ADDRESS = 64;
    static final int MAX_WAITING = 1024;

    /** The hellos waiting from one network, by address, in the order its addresses are served. */
    private static final class Network<T> {
        final Map<String, ArrayDeque<T>> addresses = new LinkedHashMap<>();
        int waiting;
    }

    private final TokenBucket budget;
    /** Waiting networks in the order they are served: the next served moves to the back. */
    private final Map<String, Network<T>> networks = new LinkedHashMap<>();
    private int waitingCount;

    public HandshakeTurns(long nowMs) {
        this.budget = new TokenBucket(PER_SECOND, PER_SECOND, nowMs * 1_000_000L);
    }

    /**
     * A hello from {@code address} waits its turn. When {@link #MAX_WAITING} wait already, it takes
     * the place of the newest hello of the busiest address of the network with the most waiting, if
     * that network has more waiting than this one's (so networks that fill the queue together cannot
     * shut others out); failing that, of the busiest address of its own network, if that address has
     * more waiting than this one (so a rogue's addresses cannot shut out an honest address of their
     * network, as {@code peer.InboundLimits} shares its connections); else it is refused.
     *
     * @return what to refuse now: {@code handshake} itself, the one it displaced, or null for none
     */
    public T offer(String address, T handshake) {
        String group = NetworkGroup.ofLinkAddress(address);
        Network<T> network = networks.get(group);
        ArrayDeque<T> queue = network == null ? null : network.addresses.get(address);
        if (queue != null && queue.size() >= MAX_WAITING_PER_ADDRESS) {
            return handshake;
        }
        T displaced = null;
        if (waitingCount >= MAX_WAITING) {
            Network<T> busiest = null;
            for (Network<T> n : networks.values()) {
                if (busiest == null || n.waiting > busiest.waiting) {
                    busiest = n;
                }
            }
            int ours = network == null ? 0 : network.waiting;
            if (busiest.waiting > ours + 1) {
                displaced = takeNewest(busiest);
            } else if (network != null && busiestAddress(network).getValue().size() > (queue == null ? 0 : queue.size()) + 1) {
                displaced = takeNewest(network);
            } else {
                return handshake;
            }
        }
        if (network == null) {
            network = new Network<>();
            networks.put(group, network);
        }
        if (queue == null) {
            queue = new ArrayDeque<>();
            network.addresses.put(address, queue);
        }
        queue.add(handshake);
        network.waiting++;
        waitingCount++;
        return displaced;
    }

    /** The newest hello of {@code network}'s address with the most waiting, taken out of the queue. */
    private T takeNewest(Network<T> network) {
        Map.Entry<String, ArrayDeque<T>> busiest = busiestAddress(network);
        T newest = busiest.getValue().pollLast();
        if (busiest.getValue().isEmpty()) {
            network.addresses.remove(busiest.getKey());
        }
        network.waiting--;
        waitingCount--;
        // Never empty here: it had at least two more waiting than the offering network or address.
        return newest;
    }

    private static <T> Map.Entry<String, ArrayDeque<T>> busiestAddress(Network<T> network) {
        Map.Entry<String, ArrayDeque<T>> busiest = null;
        for (Map.Entry<String, ArrayDeque<T>> e : network.addresses.entrySet()) {
            if (busiest == null || e.getValue().size() > busiest.getValue().size()) {
                busiest = e;
            }
        }
        return busiest;
    }

    /**
     * The handshakes whose turn has come, one network after another and one address of each in turn,
     * within the budget. One that is no longer {@code live} (its dialler hung up while it waited) is
     * dropped without a turn, so a flood of hellos whose connections close at once spends nothing.
     */
    public List<T> take(long nowMs, Predicate<T> live) {
        List<T> due = new ArrayList<>();
        long nowNanos = nowMs * 1_000_000L;
        while (waitingCount > 0 && budget.nanosUntil(1, nowNanos) == 0) {
            Map.Entry<String, Network<T>> network = popFirst(networks);
            Map.Entry<String, ArrayDeque<T>> address = popFirst(network.getValue().addresses);
            T handshake = address.getValue().poll();
            network.getValue().waiting--;
            waitingCount--;
            if (!address.getValue().isEmpty()) {
                network.getValue().addresses.put(address.getKey(), address.getValue());  // to the back of its network's line
            }
            if (network.getValue().waiting > 0) {
                networks.put(network.getKey(), network.getValue());  // to the back of the line
            }
            if (live.test(handshake)) {
                budget.spend(1, nowNanos);
                due.add(handshake);
            }
        }
        return due;
    }

    private static <V> Map.Entry<String, V> popFirst(Map<String, V> inOrder) {
        Iterator<Map.Entry<String, V>> first = inOrder.entrySet().iterator();
        Map.Entry<String, V> next = first.next();
        first.remove();
        return Map.entry(next.getKey(), next.getValue());
    }

    /** When the next waiting handshake's turn comes; {@code Long.MAX_VALUE} when none waits. */
    public long nextTurnMs(long nowMs) {
        if (waitingCount == 0) {
            return Long.MAX_VALUE;
        }
        return nowMs + (budget.nanosUntil(1, nowMs * 1_000_000L) + 999_999) / 1_000_000;
    }

    /** Handshakes waiting now. */
    public int waiting() {
        return waitingCount;
    }
}
