package dev.rhizome.coordinator.http;

import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the operator, once per address, of a proxy in front of the coordinator that
 * {@code trusted_proxies} leaves out ({@link TrustedProxies#leavesOut}). Such a deployment
 * (nginx on the coordinator's machine, the most common one) runs, but every volunteer behind it
 * is the proxy's address: on loopback two keys of one person take both replicas of a trial and
 * a spot check tells no network apart, and nothing said so.
 */
final class UnlistedProxies {
    private static final Logger LOG = LoggerFactory.getLogger(UnlistedProxies.class);
    /** Proxies are few; a bound keeps a hostile LAN from growing the set. */
    static final int REMEMBERED = 64;

    private final Set<InetAddress> warned = ConcurrentHashMap.newKeySet();
    private final String header;

    /** @param header the forwarding header read (and looked for) */
    UnlistedProxies(String header) {
        this.header = header;
    }

    void seen(InetAddress proxy) {
        if (warned.size() >= REMEMBERED || !warned.add(proxy)) {
            return;
        }
        LOG.warn("requests from {} carry {}, but {} is not in trusted_proxies: every client behind it "
                        + "counts as that one address ({}), so replicas of a trial are not kept on distinct networks "
                        + "and its clients share one address's limits; list it in trusted_proxies if it is your proxy",
                proxy.getHostAddress(), header, proxy.getHostAddress(),
                proxy.isLoopbackAddress() ? "loopback: no network at all" : "one network");
    }
}
