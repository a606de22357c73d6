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
 * <p>Pure: time is passed in. Not thread-safe: the driver serialises calls.
 *
 * @param <T> what a turn starts (the driver's waiting handshake)
 */
public final class HandshakeTurns<T> {
    /** Handshakes a second in all: a few ms of CPU, and far more than honest links open (a node keeps about 6). */
    public static final int PER_SECOND = 50;
    static final int MAX_WAITING_PER_ADDRESS = 64;
    static final int MAX_WAITING = 1024;

    private final TokenBucket budget;
    /** Waiting hellos by address, in the order the addresses are served: the next served moves to the back. */
    private final Map<String, ArrayDeque<T>> waiting = new LinkedHashMap<>();
    private int waitingCount;

    public HandshakeTurns(long nowMs) {
        this.budget = new TokenBucket(PER_SECOND, PER_SECOND, nowMs * 1_000_000L);
    }

    /**
     * A hello from {@code address} waits its turn. When {@link #MAX_WAITING} wait already, it takes
     * the place of the newest hello of the address with the most waiting, if that address has more
     * waiting than this one (so addresses that fill the queue together cannot shut others out);
     * else it is refused.
     *
     * @return what to refuse now: {@code handshake} itself, the one it displaced, or null for none
     */
    public T offer(String address, T handshake) {
        ArrayDeque<T> queue = waiting.get(address);
        int mine = queue == null ? 0 : queue.size();
        if (mine >= MAX_WAITING_PER_ADDRESS) {
            return handshake;
        }
        T displaced = null;
        if (waitingCount >= MAX_WAITING) {
            ArrayDeque<T> longest = null;
            for (ArrayDeque<T> q : waiting.values()) {
                if (longest == null || q.size() > longest.size()) {
                    longest = q;
                }
            }
            if (longest.size() <= mine + 1) {
                return handshake;
            }
            displaced = longest.pollLast();
            waitingCount--;
        }
        if (queue == null) {
            queue = new ArrayDeque<>();
            waiting.put(address, queue);
        }
        queue.add(handshake);
        waitingCount++;
        return displaced;
    }

    /**
     * The handshakes whose turn has come, one address after another, within the budget. One that is
     * no longer {@code live} (its dialler hung up while it waited) is dropped without a turn, so a
     * flood of hellos whose connections close at once spends nothing.
     */
    public List<T> take(long nowMs, Predicate<T> live) {
        List<T> due = new ArrayList<>();
        long nowNanos = nowMs * 1_000_000L;
        while (waitingCount > 0 && budget.nanosUntil(1, nowNanos) == 0) {
            Iterator<Map.Entry<String, ArrayDeque<T>>> first = waiting.entrySet().iterator();
            Map.Entry<String, ArrayDeque<T>> next = first.next();
            first.remove();
            T handshake = next.getValue().poll();
            waitingCount--;
            if (!next.getValue().isEmpty()) {
                waiting.put(next.getKey(), next.getValue());  // to the back of the line
            }
            if (live.test(handshake)) {
                budget.spend(1, nowNanos);
                due.add(handshake);
            }
        }
        return due;
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
