package dev.rhizome.coordinator.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import dev.rhizome.coordinator.core.AddressScope;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps open connections in total, per network and per remote address: one client can't exhaust
 * file descriptors or memory by opening connections. An address is its {@link AddressScope}: an
 * IPv6 client counts by its /64 (one host usually holds a whole /64, and could otherwise open the
 * cap's connections from each of 2^64 addresses), an IPv4 client by its address. A network is
 * {@link AddressScope#network}, an IPv4 /24 or an IPv6 /48: a site is routinely given a /48, whose
 * 65,536 /64s each had a whole address's share when addresses were the only level. A connection
 * over a cap is answered 503 naming the cap ({@link OverCapAnswer}) and closed, holding no place
 * under the caps; at most {@link #MAX_ANSWERING} are answered at once, the rest closed unanswered. Refusals are logged at most once per interval, with a count, so a flood can't flood
 * the log either.
 */
@ChannelHandler.Sharable
final class ConnectionLimits extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);
    private static final long LOG_INTERVAL_MS = 10_000;

    private final int maxTotal;
    private final int maxPerNetwork;
    private final int maxPerAddress;
    /** Refused connections being answered at once, at most; a few hundred descriptors held for a second at worst. */
    static final int MAX_ANSWERING = 256;

    private final int maxAnswering;
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicInteger answering = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> perNetwork = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> perAddress = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastLogMs = new AtomicLong(Long.MIN_VALUE / 2);

    /** Told the cap each refused connection met: an operator sees a flood of connections in /metrics. */
    private Consumer<String> refusedByCap = cap -> { };

    ConnectionLimits(int maxTotal, int maxPerNetwork, int maxPerAddress) {
        this(maxTotal, maxPerNetwork, maxPerAddress, MAX_ANSWERING);
    }

    /** @param maxAnswering refused connections waiting for their 503 at once, past which they are closed unanswered */
    ConnectionLimits(int maxTotal, int maxPerNetwork, int maxPerAddress, int maxAnswering) {
        this.maxTotal = maxTotal;
        this.maxPerNetwork = maxPerNetwork;
        this.maxPerAddress = maxPerAddress;
        this.maxAnswering = maxAnswering;
    }

    /** These limits, counting each refused connection by the cap it met (before any connection is accepted). */
    ConnectionLimits counting(Consumer<String> refusedByCap) {
        this.refusedByCap = refusedByCap;
        return this;
    }

    /**
     * Takes a place among the refused connections being answered; false when all are taken. Their
     * sockets are outside every cap, so without a bound of their own a client opening connections
     * faster than a second's worth of answers would hold as many descriptors as it opened.
     */
    boolean startAnswering() {
        if (answering.incrementAndGet() > maxAnswering) {
            answering.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A refused connection's answer is done (sent, or its wait over): its place is free. */
    void answered() {
        answering.decrementAndGet();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        String scope = AddressScope.of(((InetSocketAddress) ctx.channel().remoteAddress()).getAddress());
        Over cap = over(scope);
        if (cap != null) {
            String over = cap.message();
            refuse(scope);
            refusedByCap.accept(cap.cap());
            if (!startAnswering()) {
                // A flood: each answer holds its socket up to OverCapAnswer.WAIT_MS, so past the
                // bound they are closed as accepted, unanswered, as every one was before answers.
                ctx.close();
                return;
            }
            ctx.channel().closeFuture().addListener(f -> answered());
            // Answered (503 naming the cap) by a handler ahead of the codec; nothing further runs.
            ctx.pipeline().addFirst(new OverCapAnswer(over));
            return;
        }
        ctx.channel().closeFuture().addListener(f -> release(scope));
        super.channelActive(ctx);
    }

    /** Takes a place for a connection of {@code scope}; false, taking none, when a cap is reached. */
    boolean admit(String scope) {
        return refusal(scope) == null;
    }

    /**
     * Takes a place for a connection of {@code scope} and answers null, or takes none and answers
     * which cap is reached, in words for the client.
     */
    String refusal(String scope) {
        Over over = over(scope);
        return over == null ? null : over.message();
    }

    /** Which cap a refused connection met ("total", "network" or "address", a metrics label) and why, in words. */
    private record Over(String cap, String message) {
    }

    private Over over(String scope) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return new Over("total", "the coordinator holds its most connections (" + maxTotal + "); retry later");
        }
        String network = AddressScope.network(scope);
        if (!take(perNetwork, network, maxPerNetwork)) {
            total.decrementAndGet();
            return new Over("network", "your network (an IPv4 /24, an IPv6 /48) holds its most connections ("
                    + maxPerNetwork + "); close some before opening more");
        }
        if (!take(perAddress, scope, maxPerAddress)) {
            give(perNetwork, network);
            total.decrementAndGet();
            return new Over("address", "your address (an IPv6 /64 as one) holds its most connections ("
                    + maxPerAddress + "); close some, or send more requests on each (keep-alive), before opening more");
        }
        return null;
    }

    private static boolean take(ConcurrentHashMap<String, Integer> counts, String key, int max) {
        boolean[] taken = {false};
        counts.compute(key, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= max) {
                return n;
            }
            taken[0] = true;
            return now + 1;
        });
        return taken[0];
    }

    private static void give(ConcurrentHashMap<String, Integer> counts, String key) {
        counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Gives back the place of a connection of {@code scope} that closed. */
    void release(String scope) {
        total.decrementAndGet();
        give(perAddress, scope);
        give(perNetwork, AddressScope.network(scope));
    }

    private void refuse(String scope) {
        long count = refused.incrementAndGet();
        long now = System.currentTimeMillis();
        long last = lastLogMs.get();
        if (now - last >= LOG_INTERVAL_MS && lastLogMs.compareAndSet(last, now)) {
            LOG.warn("refused a connection from {}: at most {} connections per address (an IPv6 /64 "
                    + "as one), {} per network (an IPv4 /24, an IPv6 /48) and {} in total ({} refused so far)",
                    scope, maxPerAddress, maxPerNetwork, maxTotal, count);
        }
    }

    /** Open connections now, for tests and stats. */
    int open() {
        return total.get();
    }
}
