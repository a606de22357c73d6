package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The answer to a connection over a cap ({@link ConnectionLimits}): a 503 naming the cap, sent
 * once the client's first bytes came and were read (closing a socket with unread bytes resets it,
 * and a reset can destroy the answer before the client reads it), then the close. Such a
 * connection used to be closed as it was accepted: the client saw its connection end and no
 * reason. It never reaches the codec or the routes, holds no place under any cap, and is closed
 * after {@link #WAIT_MS} whatever it sends.
 */
final class OverCapAnswer extends ChannelInboundHandlerAdapter {
    /** How long a refused connection may take to send its first bytes. */
    static final long WAIT_MS = 1_000;

    private static final byte[] HEAD = "HEAD ".getBytes(StandardCharsets.US_ASCII);

    private final String why;
    private boolean answered;

    /** @param why which cap was reached, for the answer's message */
    OverCapAnswer(String why) {
        this.why = why;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.executor().schedule(() -> {
            ctx.close();
        }, WAIT_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        boolean head = msg instanceof ByteBuf bytes && bytes.readableBytes() >= HEAD.length
                && ByteBufUtil.equals(bytes, bytes.readerIndex(), Unpooled.wrappedBuffer(HEAD), 0, HEAD.length);
        ReferenceCountUtil.release(msg);
        if (answered) {
            return;
        }
        answered = true;
        FullHttpResponse response = Responses.of(ctx.alloc(), Reply.error(HttpResponseStatus.SERVICE_UNAVAILABLE,
                Error.newBuilder().setCode(Error.Code.UNAVAILABLE).setMessage(why).build()), false);
        if (head) {
            response.content().clear();  // as every answer to a HEAD: its client would read a body as the next response
        }
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, "5");
        ctx.writeAndFlush(encoded(ctx, response)).addListener(ChannelFutureListener.CLOSE);
    }

    /** The response as bytes: the connection's encoder, further down its pipeline, is never reached. */
    private static ByteBuf encoded(ChannelHandlerContext ctx, FullHttpResponse response) {
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(response.status()).append("\r\n");
        for (Map.Entry<String, String> field : response.headers()) {
            head.append(field.getKey()).append(": ").append(field.getValue()).append("\r\n");
        }
        head.append("\r\n");
        ByteBuf out = ctx.alloc().buffer();
        out.writeCharSequence(head, StandardCharsets.US_ASCII);
        out.writeBytes(response.content());
        response.release();
        return out;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();  // a reset by a client that went away: nothing to answer
    }
}
