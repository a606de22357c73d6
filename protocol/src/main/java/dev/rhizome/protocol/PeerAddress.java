package dev.rhizome.protocol;

import java.net.InetAddress;
import java.net.UnknownHostException;
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
