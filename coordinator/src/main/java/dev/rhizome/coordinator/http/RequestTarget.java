package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.LogSafe;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a request's target (path and query) strictly: percent-escapes must be well formed and
 * decode to UTF-8, so a client learns what was wrong with its URI (400) instead of having its
 * connection closed, or its "%ff" silently turned into U+FFFD and matched against nothing. The path
 * is kept as sent; the query's parameters are decoded ({@link QueryParameters}).
 */
final class RequestTarget {
    private RequestTarget() {
    }

    static ApiRequest parse(String method, String uri, String contentType, byte[] body) {
        checkCharacters(uri);
        checkEscapes(uri);
        String target = originForm(method, uri);
        checkForm(method, target);
        int question = target.indexOf('?');
        QueryParameters query = QueryParameters.parse(question < 0 ? null : target.substring(question + 1));
        // The path as sent, escapes not decoded: routes are matched on it, so "/v1%2Fbans" or
        // "/v1/%2e%2e/x" is no route (404) rather than a second spelling of one that a proxy in
        // front, filtering by path, would not recognise. No route's path has a character that needs escaping.
        return new ApiRequest(method, question < 0 ? target : target.substring(0, question), query, contentType, body);
    }

    /**
     * The target in origin form (path and query): an absolute-form target ("GET http://host/v1/stats"),
     * which a server must accept (RFC 9112, 3.2.2), less its scheme and authority, and any other
     * target as it is. Its authority is held to what a Host field is ({@link MessageRules#isHost}):
     * an empty host, userinfo ("http://user@host/", RFC 9110, 4.2.4) or a port past 65535 were
     * served as if they named this server, and "http://host?x=/v1/stats" was taken as the path
     * "/v1/stats". The authority names no virtual host here: nothing is proxied or virtual-hosted,
     * and a Host field naming another is ignored, as RFC 9112 3.2.2 has a server do.
     * An OPTIONS whose absolute-form target has an empty path and no query ("OPTIONS http://host:80")
     * asks about the server as a whole, as a proxy forwards it: "OPTIONS *" (RFC 9112, 3.2.4). It
     * was read as "OPTIONS /", the dashboard, and refused 405. "OPTIONS http://host/" names the
     * resource "/" and is answered as "OPTIONS /".
     */
    private static String originForm(String method, String uri) {
        Absolute absolute = absolute(uri);
        if (absolute == null) {
            return uri;
        }
        String scheme = absolute.scheme();
        if (!scheme.equalsIgnoreCase("http") && !scheme.equalsIgnoreCase("https")) {
            throw bad("a request target in absolute form is an http or https URI, not " + scheme
                    + "; send the path (\"/v1/...\")");
        }
        String authority = absolute.authority();
        if (authority.indexOf('@') >= 0) {
            throw bad("the request target's authority has userinfo (\"...@\"), which an http URI must not carry "
                    + "(RFC 9110, 4.2.4)");
        }
        if (authority.isEmpty() || authority.startsWith(":")) {
            throw bad("the request target names no host (\"" + scheme + "://" + authority + "/...\"); an http URI "
                    + "must have one (RFC 9110, 4.2.1)");
        }
        if (!MessageRules.isHost(authority)) {
            throw bad("the request target's authority \"" + authority + "\" is not a host and optional port (a port "
                    + "is at most 65535; RFC 9112, 3.2.2)");
        }
        String rest = absolute.rest();
        if (rest.isEmpty() && method.equals("OPTIONS")) {
            return "*";
        }
        return rest.startsWith("/") ? rest : "/" + rest;
    }

    /** An absolute-form target's parts: its scheme, its authority, and the path and query after it. */
    record Absolute(String scheme, String authority, String rest) {
    }

    /** The parts of an absolute-form target (any scheme), or null for a target in any other form. */
    static Absolute absolute(String uri) {
        int colon = uri.indexOf("://");
        if (colon <= 0 || !uri.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*")) {
            return null;
        }
        int start = colon + 3;
        int end = start;
        while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?') {
            end++;
        }
        return new Absolute(uri.substring(0, colon), uri.substring(start, end), uri.substring(end));
    }

    /**
     * Targets that are no path (RFC 9112, 3.2), refused here with the rest of the target's faults,
     * so they close the connection as those do: a request line with such a target is malformed, not
     * a request for a resource this server lacks. "*" (asterisk form) is for OPTIONS only (the
     * router answers "OPTIONS *"); "GET *" was answered 400 and the connection kept, as if only the
     * resource were wrong. CONNECT (authority form) asks a proxy for a tunnel, which this server is
     * not: its client may send the tunnel's bytes (a TLS hello) right after the head without waiting,
     * which kept connection read as the next request. Any other target that does not start with "/"
     * ("healthz", "example.com:443") is malformed.
     */
    private static void checkForm(String method, String target) {
        if (method.equals("CONNECT")) {
            throw new HttpError(HttpResponseStatus.METHOD_NOT_ALLOWED, Error.Code.UNSUPPORTED,
                    "this server is not a proxy: CONNECT is not accepted; it serves " + Router.SERVED, Router.SERVED);
        }
        if (target.equals("*") && method.equals("OPTIONS")) {
            return;
        }
        if (!target.startsWith("/")) {
            throw bad("request target " + LogSafe.of(target, 80) + " is not a path: it must start with \"/\" (or be \"*\" "
                    + "for OPTIONS)");
        }
    }

    /**
     * A target is visible US-ASCII (RFC 9112, 3.2; RFC 3986): anything else must be percent-encoded.
     * The codec took each raw byte as a Latin-1 character, so "café" sent as raw UTF-8 was looked
     * up as "cafÃ©" and matched nothing, and a raw ESC or C1 control in a path came back in the
     * 404's message. A fragment ("#") is the client's own and is never sent.
     */
    private static void checkCharacters(String uri) {
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '#') {
                throw bad("the request target has " + (c == '#' ? "a fragment (\"#\")" : String.format("character U+%04X",
                        (int) c)) + " at offset " + i + "; a target is visible US-ASCII: percent-encode anything else "
                        + "(UTF-8), and leave fragments out");
            }
        }
    }

    /** Every "%" starts two hex digits, and each run of escapes is valid UTF-8. */
    private static void checkEscapes(String uri) {
        int i = 0;
        while (i < uri.length()) {
            if (uri.charAt(i) != '%') {
                i++;
                continue;
            }
            ByteBuffer bytes = ByteBuffer.allocate(uri.length() / 3 + 1);
            int start = i;
            while (i < uri.length() && uri.charAt(i) == '%') {
                if (i + 2 >= uri.length() || Character.digit(uri.charAt(i + 1), 16) < 0
                        || Character.digit(uri.charAt(i + 2), 16) < 0) {
                    throw bad("bad percent-escape at offset " + i + " of the request target");
                }
                bytes.put((byte) Integer.parseInt(uri.substring(i + 1, i + 3), 16));
                i += 3;
            }
            bytes.flip();
            try {
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes);
            } catch (CharacterCodingException e) {
                throw bad("percent-escapes at offset " + start + " of the request target are not UTF-8");
            }
        }
    }

    private static HttpError bad(String message) {
        return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, message);
    }
}
