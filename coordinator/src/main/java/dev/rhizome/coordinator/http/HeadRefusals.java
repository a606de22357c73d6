package dev.rhizome.coordinator.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

/**
 * What a request's head alone decides, before its body is read: a method this server does not
 * know (501), a path it does not have (404), a method its path does not take (405), a target that
 * cannot be read (400), a query its route
 * refuses (400: a parameter it does not take, given twice or without a value; every POST takes
 * none), a body type no signed write takes (415), an {@code If-Match} no write here can meet
 * (412). (A body framed on a method that takes none was refused with its head, {@link
 * MessageRules#checkHead}.) A client that sent
 * "Expect: 100-continue" is answered with that refusal instead of "100 Continue" (RFC 9110,
 * 10.1.1): it was told to go on, sent its body (up to 1 MiB) for nothing and only then heard the
 * 404 or 415, or never sent it and held the connection until the request deadline.
 */
final class HeadRefusals {
    private final Router router;

    HeadRefusals(Router router) {
        this.router = router;
    }

    /** The refusal the head alone earns, or null when only the body can tell. */
    HttpError refusal(HttpRequest head) {
        try {
            ApiRequest request = RequestTarget.parse(head.method().name(), head.uri(), null, new byte[0]);
            router.route(request.method(), request.path());  // throws the 404, 405 or 501; runs nothing
            HttpError query = router.queryRefusal(request);  // the handler's first check, made before the body
            if (query != null) {
                return query;
            }
            if (head.method().equals(HttpMethod.POST)) {
                // every POST route is a signed write, read by BodyFormat.envelope
                BodyFormat.checkContentType(head.headers().get(HttpHeaderNames.CONTENT_TYPE));
            }
            // an If-Match that cannot hold: told now, where the client was told to send its body
            // and then heard the 412 (Preconditions is where it is judged, here as for any write)
            return Preconditions.beforeContent(router, request, head.headers());
        } catch (HttpError e) {
            return e;
        }
    }

    /**
     * The path a head's target names as the router reads it (an absolute-form target's too), for a
     * refusal's route label; null when the target cannot be read (counted as unrouted).
     */
    static String path(HttpRequest head) {
        try {
            return RequestTarget.parse(head.method().name(), head.uri(), null, new byte[0]).path();
        } catch (HttpError e) {
            return null;
        }
    }

    /**
     * {@code 411} for a head that frames no body ({@link MessageRules#framesNoBody}) on a route that
     * takes one; null for any other head, a head whose target, method or path is refused anyway
     * among them (it is answered for that, in the words it always was: a {@code PUT} is {@code 405}).
     */
    HttpError lengthRequired(HttpRequest head) {
        if (!MessageRules.framesNoBody(head)) {
            return null;
        }
        try {
            ApiRequest request = RequestTarget.parse(head.method().name(), head.uri(), null, new byte[0]);
            return router.serves(request.method(), request.path())
                    ? MessageRules.lengthRequired(request.method(), request.path()) : null;
        } catch (HttpError e) {
            return null;
        }
    }
}
