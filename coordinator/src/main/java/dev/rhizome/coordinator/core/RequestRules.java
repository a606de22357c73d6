package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.NodeAnnouncement;
import dev.rhizome.proto.v1.Paper;
import dev.rhizome.protocol.CommitId;
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
            throw Rejection.badRequest("port must be 1-65535, got " + Integer.toUnsignedString(a.getPort()));
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

    /** A host a node may announce: {@link PeerAddress#isHost}, the rule nodes apply to the addresses peers hand them. */
    static boolean isHost(String host) {
        return PeerAddress.isHost(host);
    }
}
