package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;

/**
 * Conditional requests (RFC 9110, 13): the one place {@code If-Match} is judged. The coordinator
 * gives its answers no entity tags and no modification dates, so: {@code If-None-Match},
 * {@code If-Modified-Since}, {@code If-Range} and {@code If-Unmodified-Since} are ignored, as the
 * RFC says a server without those must (whole answers, nothing cached); but {@code If-Match} asks
 * that the request be done only if the resource is as the client last saw it, and no tag can match
 * one never given. It was served: a signed claim carrying {@code If-Match} leased a unit, a record
 * was stored, where the client had said to do so only on a match.
 *
 * <p>The rule is RFC 9110 13.2.1's: a condition is judged only where the request, without it,
 * would be served (2xx); any other answer stands. So:
 * <ul>
 * <li>a write (POST) is judged on its head, before its body is read (the RFC's "prior to processing
 * the request content"), once its route, method and {@code Content-Type} are known to be served:
 * a named tag is {@code 412}, and so is {@code *} unless the path has something to read (a GET);
 * {@link HeadRefusals} asks here too, so that {@code Expect: 100-continue} is answered with the
 * {@code 412} in place of {@code 100 Continue}, and {@link ApiHandler} for every other write;</li>
 * <li>a read (GET, HEAD) is judged on its answer, which only its handler knows (an unknown commit
 * is {@code 404}): a 2xx answer under a named tag becomes {@code 412}; under {@code *} it stands,
 * as the resource exists; a 4xx or 5xx stands under either. A read changes nothing, so running it
 * first does nothing the client did not ask for.</li>
 * </ul>
 * Pure.
 */
final class Preconditions {
    /** Why a named tag never holds here. */
    private static final String NO_TAGS = "the coordinator gives no entity tags (ETag), so If-Match cannot match";

    private Preconditions() {
    }

    /**
     * The refusal a write's head earns for its {@code If-Match}, or null: none asked, the request
     * is refused anyway (404, 405, 415, 501: that answer stands), or it is a read (judged on its
     * answer, {@link #onAnswer}), or its query is refused (400).
     */
    static HttpError beforeContent(Router router, ApiRequest request, HttpHeaders headers) {
        String method = request.method();
        String path = request.path();
        String condition = condition(headers);
        if (condition == null || isRead(method) || !router.serves(method, path)) {
            return null;
        }
        if (router.queryRefusal(request) != null) {
            return null;  // its 400 stands: the query is refused whatever the condition
        }
        if (method.equals("POST") && BodyFormat.contentTypeRefusal(headers.get(HttpHeaderNames.CONTENT_TYPE)) != null) {
            return null;  // its 415 stands
        }
        if (condition.equals("*") && router.serves("GET", path)) {
            return null;
        }
        return unmet(condition.equals("*")
                ? path + " has no current representation, so \"If-Match: *\" does not hold"
                : NO_TAGS);
    }

    /**
     * The refusal a read's answer earns under its {@code If-Match} ({@code condition}, null for
     * none), or null: a 2xx under a named tag is {@code 412}; any other answer stands.
     */
    static HttpError onAnswer(String condition, Reply answer) {
        if (condition == null || condition.equals("*") || answer.pending() != null
                || answer.status().code() / 100 != 2) {
            return null;
        }
        return unmet(NO_TAGS);
    }

    /** The request's {@code If-Match} as one list ("*" or tags), or null when it has none. */
    static String condition(HttpHeaders headers) {
        List<String> lines = headers.getAll(HttpHeaderNames.IF_MATCH);
        return lines.isEmpty() ? null : String.join(",", lines).strip();
    }

    private static boolean isRead(String method) {
        return method.equals("GET") || method.equals("HEAD");
    }

    private static HttpError unmet(String why) {
        return new HttpError(HttpResponseStatus.PRECONDITION_FAILED, Error.Code.CONFLICT,
                why + ": nothing was done; send the request without If-Match");
    }
}
