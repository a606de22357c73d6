package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.LogSafe;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
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
 *
 * <p>A head's field lines are bounded by their number and each one's bytes, not only by their
 * bytes in all ({@link #headLineProblem}): 431, the connection closed.
 *
 * <p>A request line is held to its grammar first ({@link RequestLine}): one space between its
 * parts, nothing but empty lines before it, the version named {@code HTTP}.
 *
 * <p>It also follows a chunked body's framing ahead of the decoder ({@link ChunkedBody}), so a
 * chunk-size line is judged by its first bytes, and notes whether the request in progress is a
 * HEAD, so that a refusal made before its head is whole sends no body either.
 */
final class RequestDecoder extends HttpRequestDecoder {
    private static final byte[] HEAD = "HEAD ".getBytes(StandardCharsets.US_ASCII);

    private final RequestDeadline deadline;
    private final int maxBodyBytes;
    /** The current request's chunked body, followed ahead of the decoder; null when it has none. */
    private ChunkedBody chunked;
    /** Bytes past the buffer's reader index that {@link #chunked} has already read. */
    private int ahead;
    /** Bytes of a request not yet whole were consumed (its first lines parsed into the decoder's state). */
    private boolean partial;
    /** The current request's head was decoded (its body may still be coming). */
    private boolean headDecoded;
    /** Field lines of the current head the decoder consumed, and their bytes with their CRLFs. */
    private int fieldLines;
    private int fieldBytes;
    /** A folded line was found: everything from there on is dropped, and the connection closes. */
    private boolean refused;

    /** @param maxBodyBytes the most a body may hold: a chunk declaring more is refused at its size line */
    RequestDecoder(RequestDeadline deadline, int maxBodyBytes) {
        this.deadline = deadline;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (refused) {
            buffer.skipBytes(buffer.readableBytes());
            return;
        }
        if (!headDecoded && !partial) {
            deadline.mayBeHead(startsLikeHead(buffer));
        }
        String badLine = headDecoded || partial ? null
                : RequestLine.problem(buffer, buffer.readerIndex(), buffer.writerIndex());
        if (badLine != null) {
            refuseUndecodable(buffer, out, new IllegalArgumentException(badLine));
            return;
        }
        RuntimeException badHead = headDecoded ? null : headLineProblem(buffer);
        if (badHead != null) {
            refuseUndecodable(buffer, out, badHead);
            return;
        }
        if (chunked != null && refusedChunk(buffer, out)) {
            return;
        }
        int before = buffer.readerIndex();
        int emitted = out.size();
        super.decode(ctx, buffer, out);
        ahead = Math.max(0, ahead - (buffer.readerIndex() - before));
        boolean ended = false;
        for (int i = emitted; i < out.size(); i++) {
            Object o = out.get(i);
            if (o instanceof HttpRequest request) {
                headDecoded = true;
                if (request.decoderResult().isSuccess()) {
                    deadline.mayBeHead(HttpMethod.HEAD.equals(request.method()));
                    HttpError wrong = MessageRules.checkHead(request);
                    if (wrong != null) {
                        if (MessageRules.framesABody(request)) {
                            // its body may still be coming: dropped unread, bounded, until the answer's close
                            OversizedBodies.lingerOn(ctx.pipeline());
                        }
                        refuseHead(request, wrong, buffer, out, i);
                        return;
                    }
                    MessageRules.expectAsChecked(request);
                    if (HttpUtil.isTransferEncodingChunked(request)) {
                        chunked = new ChunkedBody(maxBodyBytes);
                        ahead = 0;
                    }
                } else if (deadline.mayBeHead()) {
                    // A request line the decoder could not read leaves "GET"; a HEAD's refusal has no body.
                    request.setMethod(HttpMethod.HEAD);
                }
            }
            if (o instanceof LastHttpContent) {
                ended = true;
                headDecoded = false;
                chunked = null;
            }
        }
        if (ended) {
            partial = false;  // what this call consumed was the rest of a request
        } else if (buffer.readerIndex() > before) {
            partial = true;
        }
    }

    /** Answers the request as undecodable, naming why; the rest of the connection's bytes are dropped. */
    private void refuseUndecodable(ByteBuf buffer, List<Object> out, RuntimeException why) {
        refused = true;
        partial = false;
        buffer.skipBytes(buffer.readableBytes());
        DefaultFullHttpRequest undecodable = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                deadline.mayBeHead() ? HttpMethod.HEAD : HttpMethod.GET, "/");
        undecodable.setDecoderResult(DecoderResult.failure(why));
        out.add(undecodable);
    }

    /**
     * A head that {@link MessageRules#checkHead} refuses is answered as undecodable, before any of
     * its body is read (a body framed in a way refused here was read whole first, up to the limit);
     * what the decoder emitted after it and the rest of the connection's bytes are dropped.
     */
    private void refuseHead(HttpRequest request, HttpError wrong, ByteBuf buffer, List<Object> out, int at) {
        request.setDecoderResult(DecoderResult.failure(wrong));
        while (out.size() > at + 1) {
            ReferenceCountUtil.release(out.remove(out.size() - 1));
        }
        DefaultLastHttpContent end = new DefaultLastHttpContent();
        out.add(end);  // the message ends here for the aggregator: nothing of its body follows
        refused = true;
        partial = false;
        headDecoded = false;
        chunked = null;
        buffer.skipBytes(buffer.readableBytes());
    }

    /**
     * Reads the chunked body's new bytes ahead of the decoder; true when they are refused: a size
     * past the body limit (413 by {@link OversizedBodies}) or a malformed line (400), at once, the
     * rest of the connection's bytes dropped as for a folded line.
     */
    private boolean refusedChunk(ByteBuf buffer, List<Object> out) {
        int from = buffer.readerIndex() + ahead;
        if (from < buffer.writerIndex()) {
            ahead += chunked.read(buffer, from, buffer.writerIndex());
        }
        ChunkedBody.Verdict verdict = chunked.verdict();
        if (verdict == ChunkedBody.Verdict.READING || verdict == ChunkedBody.Verdict.ENDED) {
            return false;
        }
        refused = true;
        partial = false;
        buffer.skipBytes(buffer.readableBytes());
        LastHttpContent end = new DefaultLastHttpContent();
        end.setDecoderResult(DecoderResult.failure(switch (verdict) {
            case TOO_LARGE -> new TooLongHttpContentException(chunked.problem());
            case TRAILER_TOO_LARGE -> new HttpError(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    Error.Code.TOO_LARGE, chunked.problem());
            default -> new IllegalArgumentException(chunked.problem());
        }));
        chunked = null;
        out.add(end);
        return true;
    }

    /**
     * Whether the request starting at the buffer's reader index is, or may yet be, a HEAD: its
     * first bytes (after what the decoder skips before a request line) are "HEAD " or a prefix of it.
     */
    private static boolean startsLikeHead(ByteBuf buffer) {
        int i = buffer.readerIndex();
        int end = buffer.writerIndex();
        while (i < end && skippedBeforeTheRequestLine((char) (buffer.getByte(i) & 0xff))) {
            i++;
        }
        for (int k = 0; k < HEAD.length && i + k < end; k++) {
            if (buffer.getByte(i + k) != HEAD[k]) {
                return false;
            }
        }
        return true;
    }

    /**
     * What is wrong with the lines of the head in the buffer, or null: a line that starts with a
     * space or tab (obs-fold), a line ended by a bare LF, or a bare CR inside a line (400), or field
     * lines past their bounds (431: more than {@link MessageRules#MAX_FIELD_LINES}, one longer than
     * {@link MessageRules#MAX_FIELD_LINE_BYTES}, or more than {@link MessageRules#MAX_HEADER_BYTES}
     * in all, judged as they come, a line too long before its end arrives). Netty's decoder takes a
     * bare LF for a line's end and a CR inside a field's value as part of it (or refuses it
     * as "Validation failed", naming nothing), where a proxy in front may end lines at CRLF only:
     * "X: a\nContent-Length: 9" is one field to it and two here, the same bytes framed two ways
     * (RFC 9112, 2.2 lets a recipient accept a bare LF; this one does not, as it refuses folding).
     * The decoder consumes whole lines only, and every whole line of a head in the buffer at once, so
     * the buffer starts at a line: the request line (after the empty lines and whitespace the decoder
     * skips before it) when nothing of this request was consumed yet, else a header line; the whole
     * field lines seen here are counted with those consumed before. The head ends at its first empty line.
     */
    private RuntimeException headLineProblem(ByteBuf buffer) {
        int start = buffer.readerIndex();
        int end = buffer.writerIndex();
        if (!partial) {
            fieldLines = 0;
            fieldBytes = 0;
            while (start < end && skippedBeforeTheRequestLine((char) (buffer.getByte(start) & 0xff))) {
                start++;
            }
        }
        int lines = fieldLines;
        int bytes = fieldBytes;
        for (int line = start; line < end; ) {
            boolean field = partial || line > start;  // not the request line, whose bound is the decoder's (414)
            if (field && isSpaceOrTab(buffer.getByte(line))) {
                return bad(FOLDED);  // a header line (not the request line) that continues the one before
            }
            if (buffer.getByte(line) == '\r' && line + 1 < end && buffer.getByte(line + 1) == '\n') {
                return null;  // the empty line that ends the head
            }
            int k = line;
            while (k < end && buffer.getByte(k) != '\n') {
                if (buffer.getByte(k) == '\r' && k + 1 < end && buffer.getByte(k + 1) != '\n') {
                    return bad("a line of the request head holds a bare CR (one not followed by LF): end each line "
                            + "with CRLF and send no CR inside one (RFC 9112, 2.2)");
                }
                if (field && isControl(buffer.getByte(k))) {
                    return controlInField(buffer, line, k);
                }
                k++;
            }
            if (field) {
                int length = k == end ? k - line : k - line - 1;  // without its CRLF
                if (length > MessageRules.MAX_FIELD_LINE_BYTES) {
                    return MessageRules.fieldLineTooLong("header", fieldName(buffer, line, k));
                }
                if (bytes + (k - line) > MessageRules.MAX_HEADER_BYTES) {
                    return MessageRules.fieldLinesTooLarge();
                }
            }
            if (k == end) {
                fieldLines = lines;  // the whole lines before this one are consumed by the decoder now
                fieldBytes = bytes;
                return null;  // the line is not whole yet: judged when more comes
            }
            if (k == line || buffer.getByte(k - 1) != '\r') {
                return bad("a line of the request head ends in a bare LF: end each line with CRLF (RFC 9112, 2.2)");
            }
            if (field) {
                lines++;
                bytes += k + 1 - line;
                if (lines > MessageRules.MAX_FIELD_LINES) {
                    return MessageRules.tooManyFieldLines("header");
                }
            }
            line = k + 1;
        }
        fieldLines = lines;
        fieldBytes = bytes;
        return null;
    }

    /**
     * A control character in a field line (a C0 control other than tab, or DEL): 400 naming the
     * field, the character and where it stands. RFC 9110, 5.5 lets a recipient refuse them, and
     * Netty does, but its words ("Validation failed for header 'X-Note'") named neither the
     * character nor where it was, for a NUL in a field this server does not even read.
     */
    private static IllegalArgumentException controlInField(ByteBuf buffer, int line, int at) {
        int colon = line;
        while (colon < at && buffer.getByte(colon) != ':') {
            colon++;
        }
        String name = fieldName(buffer, line, at);
        int c = buffer.getByte(at) & 0xff;
        int value = colon + 1;
        while (value < at && isSpaceOrTab(buffer.getByte(value))) {
            value++;
        }
        String where = colon < at
                ? "at byte " + (at - value) + " of the value of header " + LogSafe.of(name, 40)
                : "at byte " + (at - line) + " of a header name (" + LogSafe.of(name, 40) + ")";
        return bad(String.format("a control character (U+%04X%s) %s: field names and values hold no control "
                + "characters but tab (RFC 9110, 5.5); leave it out or encode it", c, c == 0 ? ", NUL" : "", where));
    }

    /** A C0 control other than tab (CR and LF end lines, judged apart), or DEL. */
    private static boolean isControl(byte b) {
        return (b >= 0 && b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7f;
    }

    /** The name of the field line from {@code line} to {@code end}: up to its colon, at most 40 characters. */
    private static String fieldName(ByteBuf buffer, int line, int end) {
        StringBuilder name = new StringBuilder();
        for (int i = line; i < end && i < line + 40 && buffer.getByte(i) != ':'; i++) {
            name.append((char) (buffer.getByte(i) & 0xff));
        }
        return name.toString();
    }

    /** Answered 400 as "malformed HTTP request: " and why ({@link MessageRules#undecodable}). */
    private static IllegalArgumentException bad(String why) {
        return new IllegalArgumentException(why);
    }

    private static final String FOLDED = "obsolete line folding: a header line starts with a space or tab; send "
            + "each header field on one line";

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
