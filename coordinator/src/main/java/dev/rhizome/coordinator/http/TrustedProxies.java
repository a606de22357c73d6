package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.core.AddressScope;
import dev.rhizome.protocol.PeerAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The proxies in front of the coordinator whose forwarding header is believed (opt-in: none by
 * default, and then no such header is read, since any client can send one). The operator names
 * the one header its proxies write, {@code X-Forwarded-For} (the default) or RFC 7239
 * {@code Forwarded}; the other is never read, since a client behind a proxy that writes one can
 * write the other itself and the proxy passes it on. A request that comes from a listed proxy is
 * counted against the address the proxies say it came from: the rightmost address of the header
 * that is not itself a listed proxy (what each proxy appended; anything to its left was written
 * by the client and may be made up). Without this every client behind a proxy was one address:
 * one share of the workers, one address's daily writes. Pure but for the warning it gives once
 * per proxy it leaves out ({@link UnlistedProxies}).
 */
public final class TrustedProxies {
    /** The header the listed proxies write, named as the config setting {@code trusted_proxy_header} names it. */
    public enum Header {
        X_FORWARDED_FOR("X-Forwarded-For"), FORWARDED("Forwarded");

        private final String field;

        Header(String field) {
            this.field = field;
        }

        /** The header field's name. */
        public String field() {
            return field;
        }

        /**
         * The header a setting names, case-insensitively as header names are.
         *
         * @throws IllegalArgumentException naming the setting and the two it may be
         */
        public static Header named(String name) {
            for (Header h : values()) {
                if (h.field.equalsIgnoreCase(name.strip())) {
                    return h;
                }
            }
            throw new IllegalArgumentException("trusted_proxy_header '" + name + "' is neither X-Forwarded-For nor "
                    + "Forwarded (the header your proxies write)");
        }
    }

    public static final TrustedProxies NONE = new TrustedProxies(List.of(), List.of(), Header.X_FORWARDED_FOR);

    private static final Pattern IPV4 =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private record Block(byte[] prefix, int bits) {
        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != prefix.length) {
                return false;
            }
            int whole = bits / 8;
            for (int i = 0; i < whole; i++) {
                if (a[i] != prefix[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[whole] & mask) == (prefix[whole] & mask);
        }
    }

    private final List<Block> blocks;
    private final List<String> spelled;
    private final Header header;
    private final UnlistedProxies unlisted;

    private TrustedProxies(List<Block> blocks, List<String> spelled, Header header) {
        this.blocks = blocks;
        this.spelled = spelled;
        this.header = header;
        this.unlisted = new UnlistedProxies(header.field());
    }

    /** Listed proxies that write {@code X-Forwarded-For}. */
    public static TrustedProxies of(List<String> entries) {
        return of(entries, Header.X_FORWARDED_FOR);
    }

    /**
     * @param entries literal addresses ("10.0.0.5", "::1") or blocks ("10.0.0.0/8", "fd00::/8")
     * @throws IllegalArgumentException naming the first entry that is neither
     */
    public static TrustedProxies of(List<String> entries, Header header) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : entries) {
            String text = entry.trim();
            int slash = text.indexOf('/');
            InetAddress address = literal(slash < 0 ? text : text.substring(0, slash));
            if (address == null) {
                throw new IllegalArgumentException("trusted proxy '" + entry + "' is not a literal IP address or a block "
                        + "like 10.0.0.0/8 or fd00::/8");
            }
            int max = address.getAddress().length * 8;
            int bits = max;
            if (slash >= 0) {
                try {
                    bits = Integer.parseInt(text.substring(slash + 1));
                } catch (NumberFormatException e) {
                    bits = -1;
                }
                if (bits < 0 || bits > max) {
                    throw new IllegalArgumentException("trusted proxy '" + entry + "': the prefix length must be 0-" + max);
                }
            }
            blocks.add(new Block(address.getAddress(), bits));
        }
        return new TrustedProxies(List.copyOf(blocks), List.copyOf(entries), header);
    }

    public List<String> entries() {
        return spelled;
    }

    /** The header field this reads: the one the listed proxies write. */
    public String header() {
        return header.field();
    }

    boolean trusts(InetAddress address) {
        for (Block b : blocks) {
            if (b.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The address a request is counted against: its connection's, or, when that is a listed proxy,
     * the rightmost address of the {@link #header()} (all its lines, in order; of {@code Forwarded},
     * each element's {@code for=}) that is not a listed proxy. An entry that is not a literal
     * address (a name, {@code unknown}, an obfuscated identifier, an element without {@code for=}
     * or not well formed) ends the walk: the address to its right is the last one a trusted proxy
     * vouched for.
     *
     * @param forwardedFor the lines of {@link #header()} the request carries
     */
    InetAddress client(InetAddress peer, List<String> forwardedFor) {
        if (leavesOut(peer, forwardedFor)) {
            unlisted.seen(peer);
        }
        if (blocks.isEmpty() || !trusts(peer) || forwardedFor.isEmpty()) {
            return peer;
        }
        List<String> hops = new ArrayList<>();
        if (header == Header.FORWARDED) {
            hops = ForwardedHeader.forNodes(forwardedFor);
        } else {
            for (String line : forwardedFor) {
                for (String hop : line.split(",")) {
                    hops.add(hop.trim());
                }
            }
        }
        InetAddress client = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = literal(hops.get(i));
            if (hop == null) {
                return client;
            }
            client = hop;
            if (!trusts(hop)) {
                return hop;
            }
        }
        return client;
    }

    /**
     * Whether {@code peer} looks like a proxy this list leaves out: it forwarded a request (the
     * request carries the {@link #header()}) from the coordinator's own machine or its private
     * network, where proxies run. A client on the internet may write the header itself, so only
     * those count. Behind such a proxy every client is the proxy: on loopback no network at all
     * (replicas of a trial are not kept apart, spot checks tell no network apart), elsewhere one.
     */
    boolean leavesOut(InetAddress peer, List<String> forwardedFor) {
        if (forwardedFor.isEmpty() || trusts(peer)) {
            return false;
        }
        return AddressScope.reach(AddressScope.of(peer)) != PeerAddress.Reach.GLOBAL;
    }

    /** A literal IPv4 or IPv6 address, or null: never a name (no lookup is ever made). */
    static InetAddress literal(String text) {
        if (!IPV4.matcher(text).matches() && !(text.contains(":") && IPV6.matcher(text).matches())) {
            return null;
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
