package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import dev.rhizome.coordinator.core.AddressScope;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Bounds the memory held by request bodies still being received, across all connections and per
 * client ({@link ByteShares}: a network's and an address's share): each body is accounted as it
 * arrives and released once it is whole (or its connection drops). Many slow uploads of bodies
 * just under the size limit can then only fill their client's share, not the heap nor everyone's
 * budget; a body that would exceed either gets 503 naming which, and its connection closes. Sits
 * between the HTTP decoder and the aggregator; one instance per connection, sharing one budget.
 */
final class BodyBudget extends ChannelDuplexHandler {
    private final ByteShares budget;
    private final TrustedProxies proxies;
    /** Who the body in progress is counted against: the client its request names (a listed proxy's forwarding header). */
    private String scope;
    private long mine;
    private boolean refused;
    private HttpRequest request;

    BodyBudget(ByteShares budget, TrustedProxies proxies) {
        this.budget = budget;
        this.proxies = proxies;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest started) {
            giveBack();  // counted under the client of the request it belonged to, should one have been cut short
            request = started;
            scope = AddressScope.of(proxies.client(remote(ctx), started.headers().getAll(proxies.header())));
        }
        if (msg instanceof HttpContent content) {
            int bytes = content.content().readableBytes();
            if (scope == null) {
                scope = AddressScope.of(remote(ctx));  // content with no request before it: the decoder erred
            }
            ByteShares.Bound over = budget.take(scope, bytes);
            if (over != null) {
                ReferenceCountUtil.release(msg);
                refuse(ctx, over);
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

    private void refuse(ChannelHandlerContext ctx, ByteShares.Bound over) {
        refused = true;
        giveBack();
        String message = budget.refusal(over);
        ctx.channel().config().setAutoRead(false);
        ApiHandler answers = ctx.pipeline().get(ApiHandler.class);
        if (answers != null) {
            // answered in its place, after the replies to the requests pipelined before it
            answers.refuseInPlace(new HttpError(HttpResponseStatus.SERVICE_UNAVAILABLE, Error.Code.UNAVAILABLE, message),
                    request != null && HttpMethod.HEAD.equals(request.method()),
                    request != null && BodyFormat.prefersProtobuf(request.headers()), false);
            return;
        }
        Reply refusal = ApiHandler.refuse(String.valueOf(ctx.channel().remoteAddress()),
                new HttpError(HttpResponseStatus.SERVICE_UNAVAILABLE, Error.Code.UNAVAILABLE, message));
        // Content follows its request's headers, so the request is known here unless the decoder erred.
        FullHttpResponse response = request == null ? Responses.of(ctx.alloc(), refusal, false)
                : Responses.answering(ctx.alloc(), refusal, request);
        HttpUtil.setKeepAlive(response, false);
        ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private static InetAddress remote(ChannelHandlerContext ctx) {
        return ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    }

    private void giveBack() {
        if (mine > 0) {
            budget.release(scope, mine);
            mine = 0;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        giveBack();
        super.channelInactive(ctx);
    }
}
