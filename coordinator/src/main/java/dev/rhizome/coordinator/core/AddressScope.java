package dev.rhizome.coordinator.core;

import dev.rhizome.protocol.PeerAddress;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The address a write is counted against ({@link WriteQuota}): an IPv4 address whole, an IPv6
 * address by its /64 prefix (one host or subnet is routinely given a whole /64, so counting each
 * IPv6 address would give one host 2^64 shares), and an IPv4-mapped IPv6 address as its IPv4 one.
 */
public final class AddressScope {
    private AddressScope() {
    }

    public static String of(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet6Address && isV4Mapped(b)) {
            try {
                return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16)).getHostAddress();
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);  // four bytes are always an address
            }
        }
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
            prefix.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
        }
        return prefix.append(":/64").toString();
    }

    /**
     * The network an address scope ({@link #of}) belongs to, for the per-network share of the daily
     * totals: an IPv4 address's /24, an IPv6 /64's /48 (what one site is routinely given), or ""
     * for no address. Read from the scope's own text, so that every caller that has a scope has
     * its network.
     */
    public static String network(String scope) {
        if (scope.isEmpty()) {
            return "";
        }
        if (scope.endsWith("::/64")) {
            String[] groups = scope.substring(0, scope.length() - "::/64".length()).split(":");
            return groups[0] + ":" + groups[1] + ":" + groups[2] + "::/48";
        }
        int dot = scope.lastIndexOf('.');
        return dot < 0 ? scope : scope.substring(0, dot) + ".0/24";
    }

    /**
     * How far an address scope ({@link #of}) reaches, by the one rule nodes also apply to their
     * peers' addresses ({@link PeerAddress#reach}). An IPv6 /64 is judged by its address ::1: the
     * loopback /64 holds no other address a client sends from, and every other range the rule
     * tells apart is a /64 or wider.
     */
    public static PeerAddress.Reach reach(String scope) {
        String literal = scope.endsWith("::/64") ? scope.substring(0, scope.length() - "/64".length()) + "1" : scope;
        return PeerAddress.reach(literal);
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }
}
