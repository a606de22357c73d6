package dev.rhizome.coordinator.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps open connections in total and per remote address: one client can't exhaust file
 * descriptors or memory by opening connections. A connection over a cap is closed as it is
 * accepted. Refusals are logged at most once per interval, with a count, so a flood can't flood
 * the log either.
 */
@ChannelHandler.Sharable
final class ConnectionLimits extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);
    private static final long LOG_INTERVAL_MS = 10_000;

    private final int maxTotal;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastLogMs = new AtomicLong(Long.MIN_VALUE / 2);

    ConnectionLimits(int maxTotal, int maxPerAddress) {
        this.maxTotal = maxTotal;
        this.maxPerAddress = maxPerAddress;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        InetAddress address = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        if (!admit(address)) {
            refuse(address);
            ctx.close();
            return;
        }
        ctx.channel().closeFuture().addListener(f -> release(address));
        super.channelActive(ctx);
    }

    private boolean admit(InetAddress address) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return false;
        }
        boolean[] admitted = {false};
        perAddress.compute(address, (a, n) -> {
            int now = n == null ? 0 : n;
            if (now >= maxPerAddress) {
                return n;
            }
            admitted[0] = true;
            return now + 1;
        });
        if (!admitted[0]) {
            total.decrementAndGet();
        }
        return admitted[0];
    }

    private void release(InetAddress address) {
        total.decrementAndGet();
        perAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    private void refuse(InetAddress address) {
        long count = refused.incrementAndGet();
        long now = System.currentTimeMillis();
        long last = lastLogMs.get();
        if (now - last >= LOG_INTERVAL_MS && lastLogMs.compareAndSet(last, now)) {
            LOG.warn("refused a connection from {}: at most {} connections per address and {} in total "
                    + "({} refused so far)", address.getHostAddress(), maxPerAddress, maxTotal, count);
        }
    }

    /** Open connections now, for tests and stats. */
    int open() {
        return total.get();
    }
}
