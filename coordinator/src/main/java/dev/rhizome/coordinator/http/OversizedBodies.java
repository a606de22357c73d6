package dev.rhizome.coordinator.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.LogSafe;
import dev.rhizome.protocol.WarnBudget;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpContentException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aggregates request bodies up to the limit and answers anything larger with 413 and an Error
 * body, like every other refusal, instead of Netty's bare status line. The connection then closes
 * without reading the rest: skipping an oversized body on a kept-alive connection would let a
 * client make the server read gigabytes for nothing. The close lingers, bounded: the server sends
 * its answer and a FIN, then discards what is in flight for at most {@link #LINGER_MS} and
 * {@link #LINGER_BYTES} before closing, so a client still writing its body reads the 413 instead
 * of a reset (RFC 9112, 9.6).
 */
final class OversizedBodies extends HttpObjectAggregator {
    private static final Logger LOG = LoggerFactory.getLogger(OversizedBodies.class);
    /** One line per oversized request, as many as a client sends: bounded (they are counted in /metrics). */
    private static final WarnBudget TOO_LARGE = new WarnBudget(LOG);

    static final long LINGER_MS = 2_000;
    static final long LINGER_BYTES = 4L << 20;

    private static final String LINGER = "linger";

    private final int maxBodyBytes;
    private final HeadRefusals heads;
    /** The last head's refusal was given to ApiHandler: its body, if it comes, is dropped. */
    private boolean refusedInPlace;
    /** The request whose body is being aggregated, for a refusal of its chunks' declared sizes. */
    private HttpRequest current;

    OversizedBodies(int maxBodyBytes, HeadRefusals heads) {
        super(maxBodyBytes, true);
        this.maxBodyBytes = maxBodyBytes;
        this.heads = heads;
    }

    /**
     * What answers a head that asked "Expect: 100-continue": the 100 itself, or a refusal in its
     * place (a too-large Content-Length, an expectation other than 100-continue, whatever
     * {@link HeadRefusals} finds in the head alone), each given to {@link ApiHandler} to send in its
     * place among the connection's replies. Written here at once, as they were, after pipelined
     * requests still in progress the refusal (or the 100) was read as the answer to the first of
     * them. What is returned is then written at once: nothing ({@link Unpooled#EMPTY_BUFFER}) where
     * {@code ApiHandler} sends the answer.
     */
    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        refusedInPlace = false;
        if (!start.decoderResult().isSuccess()) {
            return null;  // a head refused as it came (RequestDecoder) is answered for that, with no 100 or 417 first
        }
        String expectation = start.headers().get(HttpHeaderNames.EXPECT);  // Netty removes it below
        Object response = super.newContinueResponse(start, maxContentLength, pipeline);
        if (!(response instanceof FullHttpResponse full) || !(start instanceof HttpRequest request)) {
            return response;
        }
        HttpError refusal;
        if (full.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE)) {
            refusal = new HttpError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Error.Code.TOO_LARGE,
                    "request body exceeds " + maxBodyBytes + " bytes");
        } else if (full.status().equals(HttpResponseStatus.EXPECTATION_FAILED)) {
            refusal = new HttpError(HttpResponseStatus.EXPECTATION_FAILED, Error.Code.BAD_REQUEST, "Expect: "
                    + expectation + " is not supported; the only expectation understood is 100-continue");
        } else if (!bodyToCome(request)) {
            // nothing to send, so nothing to go on with (RFC 9110, 10.1.1): a GET or a
            // Content-Length of 0 is answered as it is, with no interim 100 the client must skip
            full.release();
            return null;
        } else {
            // answered now, as RFC 9110 10.1.1 allows: the client need not send a body that
            // cannot be served, and the connection closes rather than read one it sends anyway
            refusal = heads.refusal(request);
        }
        ApiHandler answers = pipeline.get(ApiHandler.class);
        if (refusal == null) {
            return answers != null && answers.continueInPlace(full) ? Unpooled.EMPTY_BUFFER : full;
        }
        full.release();
        if (answers == null) {
            FullHttpResponse answer = Responses.answering(pipeline.channel().alloc(),
                    ApiHandler.refuse(LogSafe.of(request.method() + " " + request.uri()), refusal), request);
            HttpUtil.setKeepAlive(answer, false);
            return answer;
        }
        // From here on what the client sends is counted and dropped: the refusal closes the connection.
        lingerOn(pipeline);
        answers.refuseInPlace(HeadRefusals.path(request), refusal,
                HttpMethod.HEAD.equals(request.method()), BodyFormat.prefersProtobuf(request.headers()), true);
        refusedInPlace = true;
        return Unpooled.EMPTY_BUFFER;
    }

    /** Whether the head frames a body that has yet to come: chunked, or a length above 0. */
    private static boolean bodyToCome(HttpRequest request) {
        return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    }

    /**
     * Any refusal of a head that asked "Expect: 100-continue" closes the connection unread, as a 4xx
     * did in Netty: {@link HeadRefusals}' 501 too, whose body would otherwise have been read and
     * handed on to be answered a second time.
     */
    @Override
    protected boolean ignoreContentAfterContinueResponse(Object msg) {
        if (msg == Unpooled.EMPTY_BUFFER) {
            return refusedInPlace;  // a 100 held by ApiHandler: the body is aggregated as ever
        }
        return msg instanceof HttpResponse response && response.status().code() >= 400;
    }

    /** A refusal given to ApiHandler closes the connection after the replies before it, not at once. */
    @Override
    protected boolean closeAfterContinueResponse(Object msg) {
        return msg != Unpooled.EMPTY_BUFFER && super.closeAfterContinueResponse(msg);
    }

    /** A head refused as it came is answered for that, not with a 413 for its declared length. */
    @Override
    protected boolean isContentLengthInvalid(HttpMessage start, int maxContentLength) {
        return start.decoderResult().isSuccess() && super.isContentLengthInvalid(start, maxContentLength);
    }

    /**
     * A chunk whose size line declares more than the limit is refused here, as a body that grew
     * past it is: {@link RequestDecoder} ends such a body with a {@link TooLongHttpContentException}
     * at the line, before any of its data is read.
     */
    @Override
    protected void decode(ChannelHandlerContext ctx, HttpObject msg, List<Object> out) throws Exception {
        if (msg instanceof HttpRequest started) {
            current = started;
            // judged before the aggregator, which sets a Content-Length of 0 on the whole request
            HttpError unframed = started.decoderResult().isSuccess() ? heads.lengthRequired(started) : null;
            if (unframed != null) {
                refuseUnframed(ctx, started, unframed);
                return;
            }
        }
        if (msg instanceof HttpContent content && current != null
                && content.decoderResult().cause() instanceof TooLongHttpContentException) {
            handleOversizedMessage(ctx, current);
            return;
        }
        super.decode(ctx, msg, out);
    }

    /**
     * Answers a head that frames no body where one is due with {@code 411}, in its place among the
     * connection's replies, and closes lingering: its client may be sending a body after the head
     * anyway, which read on would be taken for the next request. The head's empty end, which the
     * decoder emits next, finds no message being aggregated and is dropped.
     */
    private void refuseUnframed(ChannelHandlerContext ctx, HttpRequest request, HttpError refusal) {
        ApiHandler answers = ctx.pipeline().get(ApiHandler.class);
        lingerOn(ctx.pipeline());
        if (answers == null) {
            FullHttpResponse answer = Responses.answering(ctx.alloc(),
                    ApiHandler.refuse(LogSafe.of(request.method() + " " + request.uri()), refusal), request);
            HttpUtil.setKeepAlive(answer, false);
            ctx.writeAndFlush(answer).addListener(written -> lingerThenClose(ctx.channel(), written.isSuccess()));
            return;
        }
        answers.refuseInPlace(HeadRefusals.path(request), refusal,
                HttpMethod.HEAD.equals(request.method()), BodyFormat.prefersProtobuf(request.headers()), true);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) throws Exception {
        if (!(oversized instanceof HttpRequest request)) {
            super.handleOversizedMessage(ctx, oversized);
            return;
        }
        Channel channel = ctx.channel();
        // From here on, bytes are counted and dropped before any decoder sees them.
        lingerOn(channel.pipeline());
        String message = "request body exceeds " + maxBodyBytes + " bytes";
        ApiHandler answers = channel.pipeline().get(ApiHandler.class);
        if (answers != null) {
            // answered in its place, after the replies to the requests pipelined before it
            answers.refuseInPlace(new HttpError(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Error.Code.TOO_LARGE,
                    message), HttpMethod.HEAD.equals(request.method()), BodyFormat.prefersProtobuf(request.headers()),
                    true);
            return;
        }
        FullHttpResponse response = tooLarge(ctx.alloc(), request);
        HttpUtil.setKeepAlive(response, false);
        ctx.writeAndFlush(response).addListener(written -> lingerThenClose(channel, written.isSuccess()));
    }

    /**
     * After the refusal of a body still arriving: sends a FIN, and closes after {@link #LINGER_MS}
     * (meanwhile {@link Linger} drops what comes), so a client still writing reads the refusal.
     */
    static void lingerThenClose(Channel channel, boolean written) {
        if (!written || !(channel instanceof SocketChannel socket)) {
            channel.close();
            return;
        }
        socket.shutdownOutput();
        channel.eventLoop().schedule(() -> channel.close(), LINGER_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * From here on what the connection's client sends is counted and dropped before any decoder
     * sees it ({@link Linger}): a refusal of a request whose body is unread closes the connection,
     * lingering ({@link #lingerThenClose}), when its answer is written.
     */
    static void lingerOn(ChannelPipeline pipeline) {
        if (pipeline.get(LINGER) == null) {
            pipeline.addFirst(LINGER, new Linger());
        }
    }

    /** Whether the connection drops what its client sends ({@link #lingerOn}): its last answer closes it lingering. */
    static boolean lingers(ChannelPipeline pipeline) {
        return pipeline.get(LINGER) != null;
    }

    /** Discards what a refused client still sends, up to {@link #LINGER_BYTES}, then closes. */
    private static final class Linger extends ChannelInboundHandlerAdapter {
        private long discarded;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf buf) {
                discarded += buf.readableBytes();
            }
            ReferenceCountUtil.release(msg);
            if (discarded > LINGER_BYTES) {
                ctx.close();
            }
        }
    }

    private FullHttpResponse tooLarge(ByteBufAllocator alloc, HttpRequest request) {
        String message = "request body exceeds " + maxBodyBytes + " bytes";
        TOO_LARGE.warn("{} refused with 413: {}", LogSafe.of(request.method() + " " + request.uri()), message);
        Error error = Error.newBuilder().setCode(Error.Code.TOO_LARGE).setMessage(message).build();
        return Responses.answering(alloc, Reply.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, error), request);
    }
}
