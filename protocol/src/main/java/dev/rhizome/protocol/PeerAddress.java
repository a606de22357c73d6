package dev.rhizome.protocol;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a node may be dialled: the rule the coordinator applies to a node's announcement and a
 * node applies to the signed NodeInfos its peers hand it (anyone may sign one naming any address).
 * A host is a literal IP address or a host name; never the unspecified address (0.0.0.0 or ::,
 * which a dialler reaches as itself), a multicast address or the broadcast address; a port is
 * 1-65535. Literals are parsed, never looked up.
 */
public final class PeerAddress {
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private PeerAddress() {
    }

    public static boolean isHost(String host) {
        if (host.isEmpty() || host.length() > 253) {
            return false;
        }
        if (IPV4.matcher(host).matches()) {
            return dialable(host);
        }
        if (host.contains(":")) {
            // The pattern first, so that what is handed to the parser is a literal: no name lookup.
            return IPV6.matcher(host).matches() && dialable(host);
        }
        if (host.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
            return false;  // looks like an IPv4 address but isn't one ("127.1", which resolvers take for 127.0.0.1)
        }
        for (String label : host.split("\\.", -1)) {
            if (!HOST_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    /** A TCP port one can connect to; a protobuf {@code uint32} read as a Java int is passed unsigned. */
    public static boolean isPort(long port) {
        return port >= 1 && port <= 65535;
    }

    /**
     * The host written one way, so that counts by host see one host: an IPv6 literal as Java
     * writes it ("::1", "0:0::1" and "::0001" are one address; an IPv4-mapped one as the IPv4
     * address), a host name in lower case. Meant for hosts {@link #isHost} accepts.
     */
    public static String canonicalHost(String host) {
        if (host.contains(":") && IPV6.matcher(host).matches()) {
            try {
                return InetAddress.getByName(host).getHostAddress();  // a literal: parsed, never looked up
            } catch (UnknownHostException e) {
                // not an address after all: counted as written
            }
        }
        return host.toLowerCase(Locale.ROOT);
    }

    /**
     * The host as bounds per host count it: a literal as {@link #canonicalHost} writes it, a name by
     * its last two labels in lower case ("v7.wild.example." is "wild.example"). Whoever owns a domain
     * makes names under it without end, each resolving wherever they like: counted by name, a
     * rogue's made-up records naming v1, v2 ... under its wildcard domain, all resolving to one
     * victim, were each a host of its own. Honest nodes with names under one shared domain (a
     * dynamic DNS provider's) share that domain's per-host bounds. Meant for hosts {@link #isHost} accepts.
     */
    public static String hostGroup(String host) {
        if (IPV4.matcher(host).matches() || host.contains(":")) {
            return canonicalHost(host);
        }
        String name = host.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        int last = name.lastIndexOf('.');
        int domain = last < 0 ? -1 : name.lastIndexOf('.', last - 1);
        return name.substring(domain + 1);
    }

    /**
     * How far an address reaches, narrowest first: this machine, its link, a private network (RFC
     * 1918, shared address space, unique local IPv6, documentation and benchmarking ranges, and
     * anything else not routed on the internet), the internet.
     */
    public enum Reach {
        LOOPBACK, LINK_LOCAL, PRIVATE, GLOBAL;

        /**
         * Whether an address of this reach may be learnt from a peer over a link of reach {@code link}:
         * when it is no narrower. A rogue on the internet handing on records naming loopback or private
         * addresses would have volunteers probe hosts on their own network; a test network on
         * loopback hands on loopback addresses.
         */
        public boolean learnableOver(Reach link) {
            return compareTo(link) >= 0;
        }
    }

    /**
     * The reach of a host {@link #isHost} accepts. A literal by its range; a name by its suffix only
     * ({@code localhost} is loopback, {@code .local} link-local, any other name global): names are
     * never looked up here, so a name is taken at its word until it is resolved.
     */
    public static Reach reach(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (IPV4.matcher(h).matches() || (h.contains(":") && IPV6.matcher(h).matches())) {
            try {
                return reach(InetAddress.getByName(h));  // a literal: parsed, never looked up
            } catch (UnknownHostException e) {
                return Reach.GLOBAL;  // not a literal after all: isHost refuses it anyway
            }
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        if (h.equals("localhost") || h.endsWith(".localhost")) {
            return Reach.LOOPBACK;
        }
        if (h.endsWith(".local")) {
            return Reach.LINK_LOCAL;
        }
        return Reach.GLOBAL;
    }

    /** The reach of an address (a link's remote end, a resolved name). */
    public static Reach reach(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 16) {
            byte[] v4 = embeddedIpv4(b);
            if (v4 != null) {
                return reachV4(v4);
            }
            return reachV6(b);
        }
        return reachV4(b);
    }

    private static Reach reachV4(byte[] b) {
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        int a2 = b[2] & 0xff;
        if (a0 == 127) {
            return Reach.LOOPBACK;
        }
        if (a0 == 169 && a1 == 254) {
            return Reach.LINK_LOCAL;
        }
        boolean notGlobal = a0 == 0 || a0 == 10 || a0 >= 224              // this network, RFC 1918, multicast and reserved
                || (a0 == 100 && (a1 & 0xc0) == 64)                         // shared address space (carrier NAT)
                || (a0 == 172 && (a1 & 0xf0) == 16) || (a0 == 192 && a1 == 168)
                || (a0 == 192 && a1 == 0 && (a2 == 0 || a2 == 2))           // IETF protocol assignments, TEST-NET-1
                || (a0 == 198 && (a1 & 0xfe) == 18)                         // benchmarking
                || (a0 == 198 && a1 == 51 && a2 == 100) || (a0 == 203 && a1 == 0 && a2 == 113);  // TEST-NET-2, -3
        return notGlobal ? Reach.PRIVATE : Reach.GLOBAL;
    }

    private static Reach reachV6(byte[] b) {
        boolean zeroesTo15 = true;
        for (int i = 0; i < 15; i++) {
            zeroesTo15 &= b[i] == 0;
        }
        if (zeroesTo15 && b[15] == 1) {
            return Reach.LOOPBACK;
        }
        int w0 = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
        int w1 = ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        if ((w0 & 0xffc0) == 0xfe80) {
            return Reach.LINK_LOCAL;
        }
        // Global unicast is 2000::/3; within it, documentation (2001:db8::/32) and ORCHID are not routed.
        boolean global = (w0 & 0xe000) == 0x2000 && !(w0 == 0x2001 && (w1 == 0x0db8 || (w1 & 0xfff0) == 0x0010
                || (w1 & 0xfff0) == 0x0020));
        return global ? Reach.GLOBAL : Reach.PRIVATE;  // unique local fc00::/7, site-local, reserved, discard
    }

    /**
     * The IPv4 address an IPv6 one carries where a host or its gateway reaches that IPv4 address
     * instead: IPv4-mapped ({@code ::ffff:a.b.c.d}), IPv4-compatible ({@code ::a.b.c.d}) and NAT64's
     * well-known prefix ({@code 64:ff9b::/96}, which a local NAT64 gateway translates to a private
     * address as readily as a public one). Null for any other.
     */
    private static byte[] embeddedIpv4(byte[] b) {
        boolean zeroesTo10 = true;
        for (int i = 0; i < 10; i++) {
            zeroesTo10 &= b[i] == 0;
        }
        boolean mapped = zeroesTo10 && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
        boolean compatible = zeroesTo10 && b[10] == 0 && b[11] == 0 && !(b[12] == 0 && b[13] == 0 && b[14] == 0);
        boolean nat64 = b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
        for (int i = 4; nat64 && i < 12; i++) {
            nat64 = b[i] == 0;
        }
        return mapped || compatible || nat64 ? Arrays.copyOfRange(b, 12, 16) : null;
    }

    /**
     * A literal address a peer can dial: an IPv6 address that parses ("127.0.0.1:80" passed the old
     * pattern), and not the unspecified address, a multicast address or the broadcast address.
     */
    private static boolean dialable(String literal) {
        InetAddress address;
        try {
            address = InetAddress.getByName(literal);  // a literal: parsed, never looked up
        } catch (UnknownHostException e) {
            return false;
        }
        return !address.isAnyLocalAddress() && !address.isMulticastAddress() && !address.getHostAddress().equals("255.255.255.255");
    }
}
