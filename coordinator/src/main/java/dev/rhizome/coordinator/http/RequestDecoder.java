package dev.rhizome.coordinator.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Netty's request decoder, telling the request deadline when it holds part of a request after a
 * read, and refusing obsolete line folding. The deadline starts with a read's first byte and stops
 * when a whole request has come; when one read held a whole request and then the start of the next,
 * that start had no deadline: it waited for the idle timeout (120 s), and a half-close after it was
 * taken for a clean end.
 *
 * <p>A header line that starts with a space or tab continues the line before it (obs-fold, RFC
 * 9112, 5.2). Netty joins the two, so "Transfer-Encoding:" followed by " chunked" framed the body
 * as chunks, where a proxy in front that does not join them frames it otherwise: the same bytes
 * read as two different requests. A server may refuse it with 400, and this one does: the head is
 * answered as undecodable and nothing after it on the connection is read.
 */
final class RequestDecoder extends HttpRequestDecoder {
    private final RequestDeadline deadline;
    /** Bytes of a request not yet whole were consumed (its first lines parsed into the decoder's state). */
    private boolean partial;
    /** The current request's head was decoded (its body may still be coming). */
    private boolean headDecoded;
    /** A folded line was found: everything from there on is dropped, and the connection closes. */
    private boolean refused;

    RequestDecoder(RequestDeadline deadline) {
        this.deadline = deadline;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (refused) {
            buffer.skipBytes(buffer.readableBytes());
            return;
        }
        if (!headDecoded && foldsALine(buffer)) {
            refused = true;
            partial = false;
            buffer.skipBytes(buffer.readableBytes());
            DefaultFullHttpRequest undecodable = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
            undecodable.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("obsolete line folding: a "
                    + "header line starts with a space or tab; send each header field on one line")));
            out.add(undecodable);
            return;
        }
        int before = buffer.readerIndex();
        int emitted = out.size();
        super.decode(ctx, buffer, out);
        boolean ended = false;
        for (int i = emitted; i < out.size(); i++) {
            Object o = out.get(i);
            if (o instanceof HttpMessage) {
                headDecoded = true;
            }
            if (o instanceof LastHttpContent) {
                ended = true;
                headDecoded = false;
            }
        }
        if (ended) {
            partial = false;  // what this call consumed was the rest of a request
        } else if (buffer.readerIndex() > before) {
            partial = true;
        }
    }

    /**
     * Whether the head in the buffer has a line that starts with a space or tab. The decoder consumes
     * whole lines only, so the buffer starts at a line: the request line (after the empty lines and
     * whitespace the decoder skips before it) when nothing of this request was consumed yet, else a
     * header line. The head ends at its first empty line.
     */
    private boolean foldsALine(ByteBuf buffer) {
        int i = buffer.readerIndex();
        int end = buffer.writerIndex();
        if (!partial) {
            while (i < end && skippedBeforeTheRequestLine((char) (buffer.getByte(i) & 0xff))) {
                i++;
            }
        } else if (i < end && isSpaceOrTab(buffer.getByte(i))) {
            return true;
        }
        for (; i < end - 1; i++) {
            if (buffer.getByte(i) == '\n') {
                byte next = buffer.getByte(i + 1);
                if (isSpaceOrTab(next)) {
                    return true;
                }
                if (next == '\r' || next == '\n') {
                    return false;  // the empty line that ends the head
                }
            }
        }
        return false;
    }

    /** As Netty's decoder skips them: control characters and whitespace. */
    private static boolean skippedBeforeTheRequestLine(char c) {
        return Character.isISOControl(c) || Character.isWhitespace(c);
    }

    private static boolean isSpaceOrTab(byte b) {
        return b == ' ' || b == '\t';
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        super.channelRead(ctx, msg);
        if (ctx.channel().isActive() && !refused && (partial || internalBuffer().isReadable())) {
            deadline.requestStarted();
        }
    }
}
