package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.protocol.CommitId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/** Shape checks on request records that don't need any stored state. */
public final class RequestRules {
    public static final int MAX_ANNOUNCED_COMMITS = 10_000;
    public static final int MAX_PAPER_BODY_BYTES = 64 * 1024;
    public static final int MAX_PAPER_TITLE_CHARS = 200;
    public static final int MAX_NAME_CHARS = 100;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private RequestRules() {
    }

    /** Seed and direction names appear in URLs and CLI arguments, so they stay plain. */
    public static void name(String field, String value) {
        if (value.length() > MAX_NAME_CHARS || !NAME.matcher(value).matches()) {
            throw Rejection.badRequest(field + " must be 1-" + MAX_NAME_CHARS
                    + " letters, digits, '.', '_' or '-', starting with a letter or digit, got '" + value + "'");
        }
    }

    public static void commit(String field, String value) {
        if (!CommitId.isValid(value)) {
            throw Rejection.badRequest(field + " must be a 40-hex-digit commit id, got '" + value + "'");
        }
    }

    public static void commits(String field, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            commit(field + "[" + i + "]", values.get(i));
        }
    }

    public static void announcement(NodeAnnouncement a) {
        if (!isHost(a.getHost())) {
            throw Rejection.badRequest("host must be a literal IP address (not unspecified, multicast or broadcast) "
                    + "or a host name, got '" + a.getHost() + "'");
        }
        if (a.getPort() < 1 || a.getPort() > 65535) {
            throw Rejection.badRequest("port must be 1-65535, got " + a.getPort());
        }
        if (a.getCommitsCount() > MAX_ANNOUNCED_COMMITS) {
            throw Rejection.badRequest("announcement lists " + a.getCommitsCount() + " commits; at most "
                    + MAX_ANNOUNCED_COMMITS + " are allowed");
        }
        commits("commits", a.getCommitsList());
    }

    public static void paper(Paper p) {
        if (p.getTitle().isBlank() || p.getTitle().length() > MAX_PAPER_TITLE_CHARS) {
            throw Rejection.badRequest("title must be 1-" + MAX_PAPER_TITLE_CHARS + " characters");
        }
        int bodyBytes = p.getBodyMarkdown().getBytes(StandardCharsets.UTF_8).length;
        if (bodyBytes > MAX_PAPER_BODY_BYTES) {
            throw Rejection.badRequest("body_markdown is " + bodyBytes + " bytes; at most " + MAX_PAPER_BODY_BYTES
                    + " are allowed");
        }
        commits("commits", p.getCommitsList());
    }

    /**
     * A literal address a peer can dial: an IPv6 address that parses ("127.0.0.1:80" passed the old
     * pattern), and not the unspecified address (0.0.0.0 or ::, which a peer dials as itself),
     * a multicast address or the broadcast address.
     */
    private static boolean dialable(String literal) {
        java.net.InetAddress address;
        try {
            address = java.net.InetAddress.getByName(literal);  // a literal: parsed, never looked up
        } catch (java.net.UnknownHostException e) {
            return false;
        }
        return !address.isAnyLocalAddress() && !address.isMulticastAddress() && !literal.equals("255.255.255.255");
    }

    static boolean isHost(String host) {
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
            return false;  // looks like an IPv4 address but isn't one
        }
        for (String label : host.split("\\.", -1)) {
            if (!HOST_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }
}
