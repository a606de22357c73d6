package dev.rhizome.coordinator.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Builds HTTP responses from replies in the format the client asked for. */
final class Responses {
    /** The dashboard's own script and uPlot, its inline style, its polls of /v1/dashboard; no frames. */
    static final String PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private Responses() {
    }

    /**
     * The answer to {@code request} from a handler before the router (a refusal of its framing or
     * size): in the format it asked for, and without a body when it is a HEAD, whose client reads
     * any bytes after the headers as the next response. Content-Length stays that of the GET.
     */
    static FullHttpResponse answering(ByteBufAllocator alloc, Reply reply, HttpRequest request) {
        FullHttpResponse response = of(alloc, reply, BodyFormat.prefersProtobuf(request.headers()));
        if (HttpMethod.HEAD.equals(request.method())) {
            response.content().clear();
        }
        return response;
    }

    static FullHttpResponse of(ByteBufAllocator alloc, Reply reply, boolean protobuf) {
        byte[] body;
        String contentType;
        if (reply.body() != null) {
            body = reply.body();
            contentType = reply.contentType();
        } else if (reply.message() == null) {
            body = reply.text().getBytes(StandardCharsets.UTF_8);
            contentType = "text/plain; charset=utf-8";
        } else {
            body = reply.shared() ? EncodedAnswers.SHARED.encode(reply.message(), protobuf)
                    : BodyFormat.encode(reply.message(), protobuf);
            contentType = protobuf ? BodyFormat.PROTOBUF : BodyFormat.JSON + "; charset=utf-8";
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(),
                alloc.buffer(body.length).writeBytes(body));
        try {
            return withHeaders(response, reply, contentType, body.length);
        } catch (RuntimeException e) {
            response.release();  // a header value HTTP forbids: the caller answers otherwise
            throw e;
        }
    }

    private static FullHttpResponse withHeaders(FullHttpResponse response, Reply reply, String contentType,
            int length) {
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        // Untrusted text (titles, descriptions) is in every JSON answer and on the dashboard: a
        // browser must never sniff an answer into HTML, and the page runs only its own scripts, so
        // that text reaching the DOM as markup by some future mistake still runs nothing.
        response.headers().set("X-Content-Type-Options", "nosniff");
        // Every answer is of this moment, for this client: a claim's unit, a refusal, a page of a
        // list that grows. Without a word a cache in front may keep a 404 or a 200 by its own
        // heuristics (RFC 9111, 4.2.2) and serve it to others. The dashboard's own files may be
        // kept, and are checked again at each use (a new coordinator serves new ones).
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, isAsset(contentType) ? "no-cache" : "no-store");
        if (contentType.startsWith("text/html")) {
            response.headers().set(HttpHeaderNames.CONTENT_SECURITY_POLICY, PAGE_POLICY);
            response.headers().set(HttpHeaderNames.X_FRAME_OPTIONS, "DENY");
        }
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, length);
        if (reply.allow() != null) {
            response.headers().set(HttpHeaderNames.ALLOW, reply.allow());
        }
        return response;
    }

    /** The dashboard's page, script and styles: the same for everyone until the coordinator is upgraded. */
    private static boolean isAsset(String contentType) {
        return contentType.startsWith("text/html") || contentType.startsWith("text/javascript")
                || contentType.startsWith("application/javascript") || contentType.startsWith("text/css");
    }
}
