package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/**
 * Conditional requests (RFC 9110, 13). The coordinator gives its answers no entity tags and no
 * modification dates, so: {@code If-None-Match}, {@code If-Modified-Since}, {@code If-Range} and
 * {@code If-Unmodified-Since} are ignored, as the RFC says a server without those must (whole
 * answers, nothing cached); but {@code If-Match} asks that the request be done only if the
 * resource is as the client last saw it, and no tag can match one never given: such a request
 * is {@code 412} and nothing is done. It was served: a signed claim carrying {@code If-Match}
 * leased a unit, a record was stored, where the client had said to do so only on a match.
 * {@code If-Match: *} holds where the path has something to read (a GET), and fails where it has
 * not (a route that only takes POSTs). Pure.
 */
final class Preconditions {
    private Preconditions() {
    }

    /**
     * The refusal of a request whose {@code If-Match} cannot hold, or null. Called only for a
     * request its route would serve: one that would be refused anyway (404, 405) keeps that answer
     * (RFC 9110, 13.2.1).
     */
    static HttpError check(HttpHeaders headers, String path, boolean readable) {
        List<String> lines = headers.getAll(HttpHeaderNames.IF_MATCH);
        if (lines.isEmpty()) {
            return null;
        }
        String value = String.join(",", lines).strip();
        if (value.equals("*") && readable) {
            return null;
        }
        String why = value.equals("*")
                ? path + " has no current representation, so \"If-Match: *\" does not hold"
                : "the coordinator gives no entity tags (ETag), so If-Match cannot match";
        return new HttpError(HttpResponseStatus.PRECONDITION_FAILED, Error.Code.CONFLICT,
                why + ": nothing was done; send the request without If-Match");
    }
}
