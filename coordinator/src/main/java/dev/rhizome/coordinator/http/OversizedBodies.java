package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.LogSafe;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aggregates request bodies up to the limit and answers anything larger with 413 and an Error
 * body, like every other refusal, instead of Netty's bare status line. The connection then closes
 * without reading the rest: skipping an oversized body on a kept-alive connection would let a
 * client make the server read gigabytes for nothing.
 */
final class OversizedBodies extends HttpObjectAggregator {
    private static final Logger LOG = LoggerFactory.getLogger(OversizedBodies.class);

    private final int maxBodyBytes;

    OversizedBodies(int maxBodyBytes) {
        super(maxBodyBytes, true);
        this.maxBodyBytes = maxBodyBytes;
    }

    /** A client that sent "Expect: 100-continue" with a too-large Content-Length learns why. */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object response = super.newContinueResponse(start, maxContentLength, pipeline);
        if (response instanceof FullHttpResponse full && start instanceof HttpRequest request
                && full.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)) {
            full.release();
            return tooLarge(pipeline.channel().alloc(), request);
        }
        return response;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest request)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        FullHttpResponse response = tooLarge(ctx.alloc(), request);
        HttpUtil.setKeepAlive(response, false);
        ctx.channel().config().setAutoRead(false);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private FullHttpResponse tooLarge(ByteBufAllocator alloc, HttpRequest request) {
        String message = "request body exceeds " + maxBodyBytes + " bytes";
        LOG.warn("{} refused with 413: {}", LogSafe.of(request.method() + " " + request.uri()), message);
        Error error = Error.newBuilder().setCode(Error.Code.TOO_LARGE).setMessage(message).build();
        return Responses.of(alloc, Reply.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, error),
                BodyFormat.wantsProtobuf(request.headers().get(HttpHeaderNames.ACCEPT)));
    }
}
