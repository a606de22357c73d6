package dev.rhizome.coordinator.http;

import dev.rhizome.proto.v1.Error;
import dev.rhizome.protocol.LogSafe;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.Set;

/**
 * What a decoded HTTP/1.x request must look like beyond what Netty's codec checks (RFC 9112), and
 * the status each kind of undecodable request gets. Pure: no I/O, no state.
 */
final class MessageRules {
    /** Requests a connection may have decoded ahead of their replies (HttpServerCodec's cap was the same). */
    static final int MAX_PIPELINED_AHEAD = 128;
    /** Netty's codec's defaults: one request line, all header lines together. */
    static final int MAX_LINE_BYTES = 4096;
    static final int MAX_HEADER_BYTES = 8192;
    /**
     * Field lines in a head (or a trailer section), and the bytes of each. Within the 8 KiB of all
     * field lines, four-byte lines ("a:" CRLF) made two thousand fields: each one a header entry and
     * two strings, kept while the head was still coming, many times the 8 KiB a slow client sent,
     * on each of thousands of connections. One field of nearly 8 KiB is no header a
     * client of this server sends. Apache's defaults are close (100 fields); its line is 8 KiB.
     */
    static final int MAX_FIELD_LINES = 100;
    static final int MAX_FIELD_LINE_BYTES = 4096;

    /**
     * A Host field's value: uri-host [ ":" port ] (RFC 3986: an IP literal in brackets, or a
     * reg-name of unreserved, sub-delims and percent-escapes, which covers IPv4), or empty. Read
     * by a loop, not a pattern: Java's regex engine recurses once per repetition of a group with
     * alternatives, so a reg-name of 2,000 characters (well inside the 8 KiB of header lines)
     * overflowed the event loop's stack and the connection closed with no answer.
     */
    private static final String REG_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~!$&'()*+,;=-";
    private static final String IP_LITERAL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:.%_~-";

    /**
     * The header fields this server reads (RFC 9110 field names, lower case): their values must be
     * visible US-ASCII ({@link #check}). Netty takes each byte of a field as a Latin-1 character,
     * so a UTF-8 "é" in a Content-Type or Connection was read as two other characters, and a
     * field read one way here might be read another by a proxy decoding it as UTF-8. Any other
     * field may hold obs-text (RFC 9110, 5.5): it is opaque and never read.
     */
    private static final Set<String> READ_FIELDS = Set.of("host", "content-length", "transfer-encoding", "content-type",
            "content-encoding", "accept", "connection", "expect", "x-forwarded-for", "if-match");

    /**
     * Fields a request is read by that {@code Connection} may not name as its options. A field
     * named there is for the next hop only: a proxy on the way removes it before passing the
     * request on (RFC 9110, 7.6.1), so "Connection: Content-Length" framed the body here while a
     * proxy read it as unframed, and "Connection: If-Match" or "Content-Type" had a proxy's reader
     * and this server act on two different requests. The options a client may name (close,
     * keep-alive, te, upgrade, and any field this server does not read) are untouched.
     */
    private static final Set<String> END_TO_END = Set.of("host", "content-length", "transfer-encoding", "trailer",
            "content-type", "content-encoding", "accept", "expect", "x-forwarded-for", "forwarded", "if-match");

    /**
     * Fields that frame, route, describe or control a request, which a sender must not put in a
     * chunked body's trailer section (RFC 9110, 6.5.1), and every field this server reads: one
     * sent there is refused rather than dropped, since a reader that merges trailers into the
     * header section would read a different request.
     */
    private static final Set<String> HEADER_ONLY = Set.of("content-length", "transfer-encoding", "trailer", "host",
            "content-type", "content-encoding", "content-range", "accept", "connection", "keep-alive", "te", "upgrade",
            "expect", "x-forwarded-for", "forwarded", "authorization", "cookie", "range", "max-forwards",
            "cache-control", "proxy-authorization");

    private MessageRules() {
    }

    /** Whether a field named so may not be sent in a trailer section ({@link #HEADER_ONLY}); any case. */
    static boolean belongsInTheHeader(String name) {
        return HEADER_ONLY.contains(name.toLowerCase(Locale.ROOT));
    }

    /** A Host field's value (or an absolute-form target's authority): a host and optional port up to 65535. */
    static boolean isHost(String value) {
        int end = hostEnd(value);
        if (end < 0) {
            return false;
        }
        if (end == value.length()) {
            return true;
        }
        return value.charAt(end) == ':' && isPort(value.substring(end + 1));
    }

    /**
     * What is wrong with the one Host field's value, or null (RFC 9112, 3.2): a list ("a,b", which is
     * what a reader that joins repeated fields makes of two Host lines, so that one reader routes by
     * "a" and another by "a,b"), or anything but a host and optional port. With an absolute-form
     * target the Host field is still required and checked but otherwise ignored, as 3.2.2 says a
     * server must: the target's authority names the resource, and no authority names a virtual
     * host here ({@link RequestTarget}).
     */
    private static HttpError hostProblem(String value) {
        if (value.indexOf(',') >= 0) {
            return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, "Host header "
                    + LogSafe.of(value, 80) + " is a list (a comma separates field values): a request names exactly "
                    + "one host (RFC 9112, 3.2); send one Host field with one host and optional port");
        }
        if (!isHost(value)) {
            return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, "Host header "
                    + LogSafe.of(value, 80) + " is not a host and optional port (RFC 9112, 3.2)");
        }
        return null;
    }

    /** Where the uri-host at the start of value ends, or -1 when it is none. */
    private static int hostEnd(String value) {
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 2) {
                return -1;
            }
            for (int i = 1; i < close; i++) {
                if (IP_LITERAL_CHARS.indexOf(value.charAt(i)) < 0) {
                    return -1;
                }
            }
            return close + 1;
        }
        int i = 0;
        while (i < value.length()) {
            char c = value.charAt(i);
            if (c == '%') {
                if (i + 2 >= value.length() || Character.digit(value.charAt(i + 1), 16) < 0
                        || Character.digit(value.charAt(i + 2), 16) < 0) {
                    return -1;
                }
                i += 3;
            } else if (REG_NAME_CHARS.indexOf(c) >= 0) {
                i++;
            } else {
                return i;
            }
        }
        return i;
    }

    /**
     * A request the codec could not read: 414 for a request line too long (the target is what
     * grows), 431 for headers or trailers too large (RFC 6585), else 400 naming the codec's reason.
     */
    static HttpError undecodable(FullHttpRequest msg) {
        Throwable cause = msg.decoderResult().cause();
        if (cause instanceof HttpError judged) {
            return judged;  // a head refused by checkHead as it was decoded
        }
        // An initial line that failed leaves a message with no headers; a chunk-size line that is too
        // long fails after the headers were read, and is a malformed body, not a long target.
        if (cause instanceof TooLongHttpLineException && msg.headers().isEmpty()) {
            return new HttpError(HttpResponseStatus.REQUEST_URI_TOO_LONG, Error.Code.TOO_LARGE,
                    "request line is longer than " + MAX_LINE_BYTES + " bytes; shorten the request target");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return fieldLinesTooLarge();
        }
        return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST,
                "malformed HTTP request: " + reason(cause));
    }

    /** A head (or trailer section) with more field lines than {@link #MAX_FIELD_LINES}: 431 naming the limit. */
    static HttpError tooManyFieldLines(String section) {
        return new HttpError(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, Error.Code.TOO_LARGE, "request "
                + section + " has more than " + MAX_FIELD_LINES + " field lines; send at most " + MAX_FIELD_LINES);
    }

    /** A field line longer than {@link #MAX_FIELD_LINE_BYTES}: 431 naming the limit and the field. */
    static HttpError fieldLineTooLong(String section, String name) {
        return new HttpError(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, Error.Code.TOO_LARGE, "a request "
                + section + " field line" + (name.isEmpty() ? "" : " (" + LogSafe.of(name, 40) + ")") + " is longer than "
                + MAX_FIELD_LINE_BYTES + " bytes; each is at most " + MAX_FIELD_LINE_BYTES);
    }

    /** Field lines over {@link #MAX_HEADER_BYTES} in all (Netty's own refusal reads the same). */
    static HttpError fieldLinesTooLarge() {
        return new HttpError(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, Error.Code.TOO_LARGE,
                "request header (or trailer) lines are larger than " + MAX_HEADER_BYTES + " bytes in all");
    }

    /** Methods whose request content has a meaning (RFC 9110, 9.3); the others' is refused. */
    private static final Set<String> BODY_METHODS = Set.of("POST", "PUT", "PATCH");

    /**
     * The framing and headers every request must have, judged on its head as soon as it is decoded
     * ({@link RequestDecoder}), before its body is read; null when it has them: exactly one Host
     * in HTTP/1.1 (at most one in 1.0) whose value is a host, the fields this server reads in
     * US-ASCII, no Connection option naming one of them, at most one Content-Type, no content coding but identity, no transfer coding but
     * chunked alone, and no transfer coding at all on a method that takes no body. A list field is
     * read on every line it was sent on (reading only the first let {@code Content-Encoding:
     * identity} then {@code Content-Encoding: gzip} through), and its empty elements are nothing
     * (RFC 9110, 5.6.1: {@code chunked,} is chunked).
     */
    static HttpError checkHead(HttpRequest msg) {
        List<String> hosts = msg.headers().getAll(HttpHeaderNames.HOST);
        boolean http11 = msg.protocolVersion().minorVersion() >= 1;
        if (hosts.size() > 1 || (http11 && hosts.isEmpty())) {
            return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, hosts.isEmpty()
                    ? "an HTTP/1.1 request must have a Host header"
                    : "request has " + hosts.size() + " Host headers; send exactly one");
        }
        for (String name : msg.headers().names()) {
            String dashed = name.replace('_', '-').toLowerCase(Locale.ROOT);
            if (name.indexOf('_') >= 0 && END_TO_END.contains(dashed)) {
                // CGI and the servers that follow it (HTTP_CONTENT_LENGTH) read Content_Length as
                // Content-Length: a proxy of that kind frames a body this server reads as none.
                return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, "header "
                        + LogSafe.of(name, 40) + " would be read as " + dashed + " by some servers and as an unknown "
                        + "field here; send " + dashed + " with a hyphen");
            }
        }
        HttpError outsideAscii = readFieldOutsideAscii(msg);
        if (outsideAscii != null) {
            return outsideAscii;
        }
        List<String> options = codings(msg, HttpHeaderNames.CONNECTION);
        for (String option : options) {
            if (END_TO_END.contains(option.toLowerCase(Locale.ROOT))) {
                return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, "Connection names "
                        + LogSafe.of(option, 40) + " as an option, but " + LogSafe.of(option, 40)
                        + " is a field the request is read by: a proxy would remove it (RFC 9110, 7.6.1) and read "
                        + "another request than this server; name only connection options (close, keep-alive, "
                        + "upgrade, te)");
            }
        }
        HttpError host = hosts.isEmpty() ? null : hostProblem(hosts.get(0));
        if (host != null) {
            return host;
        }
        int types = msg.headers().getAll(HttpHeaderNames.CONTENT_TYPE).size();
        if (types > 1) {
            // Which one a reader keeps is its own choice: a body read as JSON here might be read as
            // protobuf by a proxy or a log, and the first one was kept without a word.
            return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST,
                    "request has " + types + " Content-Type headers; send one (RFC 9110, 5.3)");
        }
        List<String> contentCodings = codings(msg, HttpHeaderNames.CONTENT_ENCODING);
        if (contentCodings.stream().anyMatch(c -> !c.equalsIgnoreCase("identity"))) {
            // Nothing is ever inflated (a small gzip bomb would become gigabytes): a coded body was
            // read as if it were the record itself and refused for the wrong reason ("not UTF-8").
            return new HttpError(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, Error.Code.UNSUPPORTED,
                    "Content-Encoding " + LogSafe.of(String.join(", ", contentCodings), 80)
                            + " is not supported: send the body unencoded (RFC 9110, 8.4)");
        }
        List<String> transferCodings = codings(msg, HttpHeaderNames.TRANSFER_ENCODING);
        List<String> expectations = codings(msg, HttpHeaderNames.EXPECT);
        if (http11 && expectations.stream().anyMatch(e -> !e.equalsIgnoreCase("100-continue"))) {
            // Netty's aggregator judged the first Expect line only: "Expect: 100-continue" then
            // "Expect: x" on a line of its own was told 100 Continue, the second expectation unmet
            // and unsaid (RFC 9110, 10.1.1: 417 for one that cannot be met). HTTP/1.0's are ignored, as it says.
            return new HttpError(HttpResponseStatus.EXPECTATION_FAILED, Error.Code.BAD_REQUEST, "Expect: "
                    + LogSafe.of(String.join(", ", expectations), 80) + " is not supported; the only expectation "
                    + "understood is 100-continue");
        }
        HttpError unwanted = bodyOnAMethodThatTakesNone(msg, transferCodings);
        if (unwanted != null) {
            return unwanted;
        }
        return transferCodingProblem(msg, transferCodings);
    }

    /**
     * A head in a method that takes no body which frames one anyway (a {@code Transfer-Encoding}, or
     * a {@code Content-Length} above 0): 501 when HTTP does not define the method ({@link
     * Router#unknownMethod}), else 400; null for any other head. Judged from the head, before a byte
     * of the body is read, with or without {@code Expect: 100-continue}: a GET's body used to be
     * read whole (up to the body limit, as slowly as its client liked) and then refused, and a
     * method HTTP does not define was 501 when it asked to continue and 400 when it did not.
     * "GET ... Transfer-Encoding: chunked" then "0" and an empty line is read here as an empty
     * body, and by a reader that ignores a GET's framing as the start of the next request: what
     * follows such a head on the connection is never read.
     */
    private static HttpError bodyOnAMethodThatTakesNone(HttpRequest msg, List<String> transferCodings) {
        String method = msg.method().name();
        boolean coded = !transferCodings.isEmpty();  // one naming no coding is transferCodingProblem's
        if (BODY_METHODS.contains(method) || !(coded || declaresALength(msg))) {
            return null;
        }
        HttpError unknown = Router.unknownMethod(method);
        if (unknown != null) {
            return unknown;
        }
        String framing = coded
                ? "is framed by Transfer-Encoding " + LogSafe.of(String.join(", ", transferCodings), 80)
                : "declares Content-Length: " + declaredLength(msg);
        return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, method + " takes no body, and "
                + "this one " + framing + "; send it without one");
    }

    /**
     * Whether a head frames a body that is to follow it: any {@code Transfer-Encoding} (even one
     * naming no coding, which {@link #transferCodingProblem} refuses), or a {@code Content-Length}
     * above 0 (the decoder refused one that is not a number).
     */
    static boolean framesABody(HttpRequest head) {
        return head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING) || declaresALength(head);
    }

    private static String declaredLength(HttpRequest head) {
        try {
            return Long.toString(HttpUtil.getContentLength(head, 0L));
        } catch (NumberFormatException e) {
            return LogSafe.of(head.headers().get(HttpHeaderNames.CONTENT_LENGTH), 40);
        }
    }

    /** A Content-Length above 0, or one that is not a number (the decoder refuses those first). */
    private static boolean declaresALength(HttpRequest head) {
        try {
            return HttpUtil.getContentLength(head, 0L) > 0;
        } catch (NumberFormatException e) {
            return true;  // not a length: whatever follows cannot be told from the next request
        }
    }

    /**
     * Leaves a head that {@link #checkHead} passed with its expectation in the one spelling Netty's
     * aggregator reads: {@code Expect: 100-continue} when it named 100-continue (in HTTP/1.1), else
     * no Expect at all. The aggregator compares the first line's whole value, so
     * {@code 100-continue,} (an empty list element, which is nothing), {@code 100-continue,
     * 100-continue} or an empty {@code Expect} (an empty list: no expectation) were {@code 417}
     * "not supported" where the rule here reads 100-continue, or nothing: two readings of one head.
     */
    static void expectAsChecked(HttpRequest msg) {
        if (!msg.headers().contains(HttpHeaderNames.EXPECT)) {
            return;
        }
        boolean continues = msg.protocolVersion().minorVersion() >= 1 && !codings(msg, HttpHeaderNames.EXPECT).isEmpty();
        msg.headers().remove(HttpHeaderNames.EXPECT);
        if (continues) {
            msg.headers().set(HttpHeaderNames.EXPECT, HttpHeaderValues.CONTINUE);
        }
    }

    /**
     * A Transfer-Encoding's codings, over all its lines (RFC 9110, 5.3: two lines are one list),
     * judged by RFC 9112: a list whose last coding is not {@code chunked} (any case) leaves the
     * body's length unknown, 400 and close (6.3); so does {@code chunked} named twice, which a sender
     * must not do (6.1), and a field that names no coding at all (an empty value: a reader that
     * goes by the field's presence frames the body as chunks, one that goes by its codings by the
     * Content-Length). Only a well-framed list that asks for a coding this server lacks before the
     * final chunked ({@code gzip, chunked}) is 501. Netty's decoder (4.2) refuses the 400s among
     * these before the head gets here, in words of its own that these echo; the rule is this
     * server's, kept here so that it holds whatever the codec's version does (4.1 let some through).
     */
    private static HttpError transferCodingProblem(HttpRequest msg, List<String> codings) {
        if (!msg.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return null;
        }
        String named = LogSafe.of(String.join(", ", codings), 80);
        if (codings.isEmpty()) {
            return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, "Transfer-Encoding names no "
                    + "coding: send chunked, or leave the field out and send Content-Length (RFC 9112, 6.1)");
        }
        long chunked = codings.stream().filter(c -> c.equalsIgnoreCase("chunked")).count();
        if (chunked > 1) {
            return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, "Transfer-Encoding " + named
                    + " names chunked " + chunked + " times (its lines are one list): chunked must not be applied "
                    + "more than once (RFC 9112, 6.1); send Transfer-Encoding: chunked on one line");
        }
        if (!codings.get(codings.size() - 1).equalsIgnoreCase("chunked")) {
            return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, "Transfer-Encoding " + named
                    + " does not end in chunked: the final transfer coding must be chunked, else the body's length "
                    + "cannot be told (RFC 9112, 6.3); send chunked alone, or Content-Length without Transfer-Encoding");
        }
        if (codings.size() > 1) {
            return new HttpError(HttpResponseStatus.NOT_IMPLEMENTED, Error.Code.UNSUPPORTED, "Transfer-Encoding " + named
                    + " is not supported; send the body as is, or chunked alone");
        }
        return null;
    }

    /**
     * Whether a head in a method whose content has a meaning frames no body at all: neither
     * {@code Content-Length} nor {@code Transfer-Encoding}. RFC 9112, 6.3 reads such a request's body
     * as empty, so whatever its client sends after the head is read as the next request; a route
     * that takes a body answers it {@link #lengthRequired} ({@link HeadRefusals#lengthRequired}).
     */
    static boolean framesNoBody(HttpRequest head) {
        return BODY_METHODS.contains(head.method().name()) && !head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                && !head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING);
    }

    /**
     * 411 for a request to a route that takes a body whose head frames none (RFC 9110, 15.5.12):
     * it used to be read as an empty body (400 "the body is empty"), and a body sent after such a
     * head anyway was read as the next request, so the connection closes unread.
     */
    static HttpError lengthRequired(String method, String path) {
        return new HttpError(HttpResponseStatus.LENGTH_REQUIRED, Error.Code.BAD_REQUEST, method + " "
                + LogSafe.of(path, 80) + " takes a body, and this request frames none: it has neither Content-Length "
                + "nor Transfer-Encoding (RFC 9112, 6.3); send Content-Length: N (the body's bytes) or "
                + "Transfer-Encoding: chunked");
    }

    /**
     * What only a whole request shows, or null: no body on a method that takes none. A head that
     * frames one was refused by {@link #checkHead} as it came, before its body; this holds the rule
     * for any request that reaches the handler whole however it was framed.
     */
    static HttpError check(FullHttpRequest msg) {
        String method = msg.method().name();
        if (msg.content().isReadable() && !BODY_METHODS.contains(method)) {
            // A server or proxy that ignores such a body reads it as the next request (smuggling);
            // it used to be read here and dropped, the request answered as if it had none.
            return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, method + " takes no body, "
                    + "and this one came with " + msg.content().readableBytes() + " bytes; send it without one");
        }
        return null;
    }

    /**
     * A field this server reads ({@link #READ_FIELDS}) with a character other than visible US-ASCII,
     * space or tab: 400 naming the field and the byte, or null when there is none.
     */
    private static HttpError readFieldOutsideAscii(HttpRequest msg) {
        for (Map.Entry<String, String> field : msg.headers()) {
            if (!READ_FIELDS.contains(field.getKey().toLowerCase(Locale.ROOT))) {
                continue;
            }
            String value = field.getValue();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c >= 0x7f) {
                    return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST, "header "
                            + field.getKey() + " has byte " + String.format("0x%02X", (int) c & 0xff) + " at offset " + i
                            + ": the fields this server reads (" + String.join(", ", new TreeSet<>(READ_FIELDS))
                            + ") are US-ASCII; other fields' bytes are not read (RFC 9110, 5.5)");
                }
            }
        }
        return null;
    }

    /**
     * A Host's port: ASCII digits, at most 65535, or empty (RFC 3986 allows "host:");
     * "x:99999999999999999999" once passed.
     */
    private static boolean isPort(String port) {
        if (port.length() > 5) {
            return false;
        }
        for (int i = 0; i < port.length(); i++) {
            if (port.charAt(i) < '0' || port.charAt(i) > '9') {
                return false;
            }
        }
        return port.isEmpty() || Integer.parseInt(port) <= 65535;
    }

    /** The non-empty elements (codings, options) a list field names, over all the lines it was sent on. */
    private static List<String> codings(HttpRequest msg, CharSequence name) {
        List<String> codings = new ArrayList<>();
        for (String line : msg.headers().getAll(name)) {
            for (String coding : line.split(",")) {
                if (!coding.isBlank()) {
                    codings.add(coding.strip());
                }
            }
        }
        return codings;
    }

    /** A decoder failure's own words, without the exception's class name. */
    static String reason(Throwable cause) {
        if (cause == null) {
            return "unreadable";
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}
