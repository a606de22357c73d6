package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the memory held by request bodies still being received, across all connections: each
 * body is accounted as it arrives and released once it is whole (or its connection drops). Many
 * slow uploads of bodies just under the size limit can then only fill the budget, not the heap;
 * a body that would exceed it gets 503 and its connection closes. Sits between the HTTP decoder and
 * the aggregator; one instance per connection, sharing one counter.
 */
final class BodyBudget extends ChannelDuplexHandler {
    private final AtomicLong inUse;
    private final long max;
    private long mine;
    private boolean refused;
    private HttpRequest request;

    BodyBudget(AtomicLong inUse, long max) {
        this.inUse = inUse;
        this.max = max;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest started) {
            request = started;
        }
        if (msg instanceof HttpContent content) {
            int bytes = content.content().readableBytes();
            if (inUse.addAndGet(bytes) > max) {
                inUse.addAndGet(-bytes);
                ReferenceCountUtil.release(msg);
                refuse(ctx);
                return;
            }
            mine += bytes;
            if (msg instanceof LastHttpContent) {
                // The aggregator hands the whole request on inside this call, and the handler after it
                // copies the body and releases the buffers before returning.
                try {
                    super.channelRead(ctx, msg);
                } finally {
                    giveBack();
                }
                return;
            }
        }
        super.channelRead(ctx, msg);
    }

    private void refuse(ChannelHandlerContext ctx) {
        refused = true;
        giveBack();
        String message = "the coordinator is receiving too many request bodies at once; retry later";
        Reply refusal = ApiHandler.refuse(String.valueOf(ctx.channel().remoteAddress()),
                new HttpError(HttpResponseStatus.SERVICE_UNAVAILABLE, Error.Code.UNAVAILABLE, message));
        // Content follows its request's headers, so the request is known here unless the decoder erred.
        FullHttpResponse response = request == null ? Responses.of(ctx.alloc(), refusal, false)
                : Responses.answering(ctx.alloc(), refusal, request);
        HttpUtil.setKeepAlive(response, false);
        ctx.channel().config().setAutoRead(false);
        ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private void giveBack() {
        inUse.addAndGet(-mine);
        mine = 0;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        giveBack();
        super.channelInactive(ctx);
    }
}
