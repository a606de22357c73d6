package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.metrics.CoordinatorMetrics;
import dev.rhizome.proto.v1.Error;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies each request off the event loop, runs its route on a worker (signature checks and
 * database commits block), and writes the reply back. Every refusal becomes an Error body and a
 * WARN line; anything unexpected is a 500 that names no internals beyond the exception message.
 */
@ChannelHandler.Sharable
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);

    private final Router router;
    private final Executor workers;
    private final CoordinatorMetrics metrics;

    ApiHandler(Router router, Executor workers, CoordinatorMetrics metrics) {
        this.router = router;
        this.workers = workers;
        this.metrics = metrics;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
        boolean keepAlive = HttpUtil.isKeepAlive(msg);
        boolean protobuf = BodyFormat.wantsProtobuf(msg.headers().get(HttpHeaderNames.ACCEPT));
        if (!msg.decoderResult().isSuccess()) {
            reply(ctx, refuse("?", new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST,
                    "malformed HTTP request: " + msg.decoderResult().cause())), false, protobuf);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(msg.uri());
        ApiRequest request = new ApiRequest(msg.method().name(), uri.path(), uri.parameters(),
                msg.headers().get(HttpHeaderNames.CONTENT_TYPE), ByteBufUtil.getBytes(msg.content()));
        try {
            long start = System.nanoTime();
            workers.execute(() -> {
                Reply reply = handle(request);
                metrics.request(request.method(), router.label(request.path()), reply.status().code(),
                        System.nanoTime() - start);
                reply(ctx, reply, keepAlive, protobuf);
            });
        } catch (RejectedExecutionException e) {
            reply(ctx, refuse(describe(request), new HttpError(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    Error.Code.INTERNAL, "coordinator is overloaded; retry later")), false, protobuf);
        }
    }

    private Reply handle(ApiRequest request) {
        try {
            return router.route(request.method(), request.path()).handle(request);
        } catch (HttpError e) {
            return refuse(request, e);
        } catch (Rejection e) {
            return refuse(request, HttpError.from(e));
        } catch (RuntimeException e) {
            LOG.error("{} failed", describe(request), e);
            return Reply.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, Error.newBuilder()
                    .setCode(Error.Code.INTERNAL).setMessage("internal error: " + e.getMessage()).build());
        }
    }

    private Reply refuse(ApiRequest request, HttpError e) {
        metrics.refused(router.label(request.path()), e.toError().getCode().name());
        return refuse(describe(request), e);
    }

    private static Reply refuse(String request, HttpError e) {
        LOG.warn("{} refused with {}: {}", request, e.status().code(), e.getMessage());
        return Reply.error(e.status(), e.toError());
    }

    private static String describe(ApiRequest request) {
        return request.method() + " " + request.path();
    }

    private static void reply(ChannelHandlerContext ctx, Reply reply, boolean keepAlive, boolean protobuf) {
        FullHttpResponse response = Responses.of(ctx.alloc(), reply, protobuf);
        HttpUtil.setKeepAlive(response, keepAlive);
        var written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.warn("closing connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
