package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
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
        int question = uri.indexOf('?');
        QueryParameters query = QueryParameters.parse(question < 0 ? null : uri.substring(question + 1));
        return new ApiRequest(method, rawPath(uri), query, contentType, body);
    }

    /**
     * The path as sent, escapes not decoded: routes are matched on it, so "/v1%2Fbans" or
     * "/v1/%2e%2e/x" is no route (404) rather than a second spelling of one that a proxy in front,
     * filtering by path, would not recognise. No route's path has a character that needs escaping.
     */
    private static String rawPath(String uri) {
        int start = 0;
        // absolute-form ("GET http://host/v1/stats"), which a server must accept (RFC 9112, 3.2.2)
        for (String scheme : new String[] {"http://", "https://"}) {
            if (uri.regionMatches(true, 0, scheme, 0, scheme.length())) {
                int slash = uri.indexOf('/', scheme.length());
                if (slash < 0) {
                    return "/";
                }
                start = slash;
            }
        }
        int end = uri.length();
        for (int i = start; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        return uri.substring(start, end);
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
