package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.protocol.CommitId;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.PeerAddress;
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

    private RequestRules() {
    }

    /** Seed and direction names appear in URLs and CLI arguments, so they stay plain. */
    public static void name(String field, String value) {
        if (value.length() > MAX_NAME_CHARS || !NAME.matcher(value).matches()) {
            throw Rejection.badRequest(field + " must be 1-" + MAX_NAME_CHARS
                    + " letters, digits, '.', '_' or '-', starting with a letter or digit, got '" + LogSafe.of(value, 60) + "'");
        }
    }

    public static void commit(String field, String value) {
        if (!CommitId.isValid(value)) {
            throw Rejection.badRequest(field + " must be a 40-hex-digit commit id, got '" + LogSafe.of(value, 60) + "'");
        }
    }

    public static void commits(String field, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            commit(field + "[" + i + "]", values.get(i));
        }
    }

    /**
     * A commit id given as the URL's query parameter {@code name}: refused naming the parameter as
     * the user typed it ("query parameter commit must be..."), not a record's field.
     */
    public static void queryCommit(String name, String value) {
        commit(QUERY + name, value);
    }

    /**
     * Commit ids separated by commas in query parameter {@code name}: one that is none is refused
     * naming the parameter and the id's place in the list as typed (1st, 2nd), where the record
     * field's "commits[0]" named an array the URL never held.
     */
    public static void queryCommits(String name, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            if (!CommitId.isValid(values.get(i))) {
                throw Rejection.badRequest(QUERY + name + " must be 40-hex-digit commit ids separated by commas; id "
                        + (i + 1) + " of " + values.size() + " is '" + LogSafe.of(values.get(i), 60) + "'");
            }
        }
    }

    /** How a refusal names a value that came in the URL's query. */
    public static final String QUERY = "query parameter ";

    public static void announcement(NodeAnnouncement a) {
        if (!isHost(a.getHost())) {
            throw Rejection.badRequest("host must be a literal IP address (not unspecified, multicast or broadcast) "
                    + "or a host name, got '" + LogSafe.of(a.getHost(), 60) + "'");
        }
        if (a.getPort() < 1 || a.getPort() > 65535) {
            throw Rejection.badRequest("port must be 1-65535, got " + Integer.toUnsignedString(a.getPort()));
        }
        if (a.getCommitsCount() > MAX_ANNOUNCED_COMMITS) {
            throw Rejection.badRequest("announcement lists " + a.getCommitsCount() + " commits; at most "
                    + MAX_ANNOUNCED_COMMITS + " are allowed");
        }
        commits("commits", a.getCommitsList());
    }

    /**
     * {@link #announcement(NodeAnnouncement)}, and the advertised host reaches no narrower than the
     * address the request came from ({@code origin}, an {@link AddressScope}; "" when unknown, as in
     * calls that are not over HTTP). Every node that asks for peers dials what the coordinator lists:
     * a client on the internet announcing 127.0.0.1, 10.0.0.1 or 169.254.169.254 would have each of
     * them probe its own machine, LAN or cloud metadata service. A node on this machine may announce
     * loopback (a test network, the demo), one on the LAN a private address. A host name is judged
     * by its suffix here ({@code localhost}, {@code .local}); what it resolves to, nodes check at
     * each dial.
     */
    public static void announcement(NodeAnnouncement a, String origin) {
        announcement(a);
        if (origin.isEmpty()) {
            return;
        }
        PeerAddress.Reach from = AddressScope.reach(origin);
        PeerAddress.Reach advertised = PeerAddress.reach(a.getHost());
        if (!advertised.learnableOver(from)) {
            throw Rejection.badRequest("host '" + LogSafe.of(a.getHost(), 60) + "' is a " + describe(advertised)
                    + " address, narrower than the " + describe(from) + " address this request came from: other nodes "
                    + "could not reach it, and would be told to dial their own " + describe(advertised)
                    + " network; announce an address (or host name) others reach you at");
        }
    }

    private static String describe(PeerAddress.Reach reach) {
        return switch (reach) {
            case LOOPBACK -> "loopback";
            case LINK_LOCAL -> "link-local";
            case PRIVATE -> "private";
            case GLOBAL -> "public";
        };
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

    /** A host a node may announce: {@link PeerAddress#isHost}, the rule nodes apply to the addresses peers hand them. */
    static boolean isHost(String host) {
        return PeerAddress.isHost(host);
    }
}
