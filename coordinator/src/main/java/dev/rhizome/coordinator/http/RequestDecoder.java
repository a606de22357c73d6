package dev.rhizome.coordinator.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Netty's request decoder, telling the request deadline when it holds part of a request after a
 * read. The deadline starts with a read's first byte and stops when a whole request has come; when
 * one read held a whole request and then the start of the next, that start had no deadline: it
 * waited for the idle timeout (120 s), and a half-close after it was taken for a clean end.
 */
final class RequestDecoder extends HttpRequestDecoder {
    private final RequestDeadline deadline;
    /** Bytes of a request not yet whole were consumed (its first lines parsed into the decoder's state). */
    private boolean partial;

    RequestDecoder(RequestDeadline deadline) {
        this.deadline = deadline;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        int before = buffer.readerIndex();
        int emitted = out.size();
        super.decode(ctx, buffer, out);
        boolean ended = false;
        for (int i = emitted; i < out.size(); i++) {
            ended |= out.get(i) instanceof LastHttpContent;
        }
        if (ended) {
            partial = false;  // what this call consumed was the rest of a request
        } else if (buffer.readerIndex() > before) {
            partial = true;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        super.channelRead(ctx, msg);
        if (ctx.channel().isActive() && (partial || internalBuffer().isReadable())) {
            deadline.requestStarted();
        }
    }
}
