package dev.rhizome.coordinator.http;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Builds HTTP responses from replies in the format the client asked for. */
final class Responses {
    private Responses() {
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
            body = BodyFormat.encode(reply.message(), protobuf);
            contentType = protobuf ? BodyFormat.PROTOBUF : BodyFormat.JSON + "; charset=utf-8";
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(),
                alloc.buffer(body.length).writeBytes(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (reply.allow() != null) {
            response.headers().set(HttpHeaderNames.ALLOW, reply.allow());
        }
        return response;
    }
}
