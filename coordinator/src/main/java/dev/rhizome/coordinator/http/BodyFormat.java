package dev.rhizome.coordinator.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.Json;
import dev.rhizome.protocol.LogSafe;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Content negotiation: protobuf or proto3 JSON bodies in, JSON (default) or protobuf out. */
final class BodyFormat {
    static final String PROTOBUF = "application/x-protobuf";
    static final String JSON = "application/json";

    private BodyFormat() {
    }

    /** Parses a request body as a SignedEnvelope; JSON unless the Content-Type says protobuf. */
    static SignedEnvelope envelope(ApiRequest request) {
        checkContentType(request.contentType());
        boolean protobuf = mediaType(request.contentType()).equals(PROTOBUF);
        if (request.body().length == 0) {
            // read as protobuf it was an envelope of version 0 (401, counted as a bad signature); as
            // JSON "expected a JSON object, got null": neither said the body was missing
            throw badBody(protobuf ? "protobuf" : "JSON", "the body is empty; every POST route takes one signed record "
                    + "in a SignedEnvelope");
        }
        if (protobuf) {
            try {
                return SignedEnvelope.parseFrom(request.body());
            } catch (InvalidProtocolBufferException e) {
                throw badBody("protobuf", e.getMessage() + (looksLikeJson(request.body())
                        ? "; the body looks like JSON: send it with Content-Type: " + JSON : ""));
            }
        }
        String text;
        try {
            text = utf8(request.body());
        } catch (CharacterCodingException e) {
            // the decoder's own words were "Input length = 1"
            throw badBody("JSON", "the body is not UTF-8 (a JSON body must be)" + protobufHint(request.body()));
        }
        // A body may start with one byte order mark, which is ignored (RFC 8259, 8.1 lets a parser:
        // editors and PowerShell on Windows write one at the start of a UTF-8 file): Gson's reader
        // skips one before the text; a second, or one anywhere else, is malformed JSON (400).
        try {
            return Json.parse(text, SignedEnvelope.newBuilder()).build();
        } catch (InvalidProtocolBufferException e) {
            throw badBody("JSON", e.getMessage() + protobufHint(request.body()));
        }
    }

    /**
     * Whether a body refused as protobuf starts as a JSON object does: one format sent labelled as
     * the other is the commonest mistake, and the parser's words ("invalid wire type") did not say so.
     */
    private static boolean looksLikeJson(byte[] body) {
        // a byte order mark (EF BB BF) before it is JSON's too: it is ignored when read as JSON
        boolean bom = body.length >= 3 && (body[0] & 0xff) == 0xEF && (body[1] & 0xff) == 0xBB && (body[2] & 0xff) == 0xBF;
        for (int i = bom ? 3 : 0; i < body.length; i++) {
            byte b = body[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
                return b == '{';
            }
        }
        return false;
    }

    /** For a body refused as JSON that is no JSON object: the other format's name, as a hint. */
    private static String protobufHint(byte[] body) {
        return body.length == 0 || looksLikeJson(body) ? ""
                : "; if the body is protobuf, send it with Content-Type: " + PROTOBUF;
    }

    /**
     * Refuses (415) a Content-Type no signed write takes, on the head alone: {@link HeadRefusals}
     * answers it before the body is read, as {@link #envelope} does after.
     */
    static void checkContentType(String contentType) {
        HttpError refused = contentTypeRefusal(contentType);
        if (refused != null) {
            throw refused;
        }
    }

    /** The 415 a Content-Type earns from every signed write, or null when one of them takes it. */
    static HttpError contentTypeRefusal(String contentType) {
        String type = mediaType(contentType);
        if (type.equals(PROTOBUF)) {
            return null;
        }
        // No Content-Type is JSON; one that names no media type ("", "; charset=utf-8") is no type
        // at all, and was read as JSON as if it were absent.
        if (contentType == null || type.equals(JSON)) {
            String charset = charset(contentType);
            if (!charset.isEmpty() && !charset.equals("utf-8") && !charset.equals("utf8")) {
                // a body declared UTF-16 or Latin-1 was read as UTF-8 all the same: refused as "not
                // UTF-8", or worse, read as other text than the client meant
                return new HttpError(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, Error.Code.UNSUPPORTED, "charset "
                        + LogSafe.of(charset, 40) + " is not supported: send the JSON body as UTF-8");
            }
            return null;
        }
        return new HttpError(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, Error.Code.UNSUPPORTED, (type.isEmpty()
                ? "Content-Type \"" + LogSafe.of(contentType, 60) + "\" names no media type"
                : "Content-Type " + LogSafe.of(contentType, 80) + " is not supported")
                + "; send " + JSON + " or " + PROTOBUF + " (no Content-Type is " + JSON + ")");
    }

    /**
     * Whether the answer should be protobuf: Accept names it with a quality above 0 and above that
     * of JSON (or of anything, "*&#47;*"). "application/x-protobuf;q=0, application/json" said
     * "never protobuf" and was answered in protobuf.
     */
    /**
     * Whether the request's Accept lines, all of them, prefer protobuf: a list field may be sent
     * on several lines, which mean the same as one line with their values joined by commas (RFC
     * 9110, 5.3), and reading the first alone answered JSON to a client whose second line preferred
     * protobuf.
     */
    static boolean prefersProtobuf(HttpHeaders headers) {
        List<String> lines = headers.getAll(HttpHeaderNames.ACCEPT);
        return wantsProtobuf(lines.isEmpty() ? null : String.join(",", lines));
    }

    static boolean wantsProtobuf(String accept) {
        if (accept == null) {
            return false;
        }
        double protobuf = 0;
        double json = 0;
        for (String entry : accept.toLowerCase(Locale.ROOT).split(",")) {
            String[] parts = entry.split(";");
            String type = parts[0].trim();
            double q = 1;
            for (int i = 1; i < parts.length; i++) {
                String param = parts[i].trim();
                if (param.startsWith("q=")) {
                    q = quality(param.substring(2).trim());
                }
            }
            if (type.equals(PROTOBUF)) {
                protobuf = Math.max(protobuf, q);
            } else if (type.equals(JSON) || type.equals("*/*") || type.equals("application/*")) {
                json = Math.max(json, q);
            }
        }
        return protobuf > 0 && protobuf >= json;
    }

    /**
     * A qvalue as RFC 9110 (12.4.2) spells it, 0 to 1 with at most three decimals; anything else
     * counts as 0. Double.parseDouble took "1e999" (infinity), "NaN", "0x1p0" and "1f".
     */
    private static double quality(String text) {
        return QVALUE.matcher(text).matches() ? Double.parseDouble(text) : 0;
    }

    private static final Pattern QVALUE = Pattern.compile("0(\\.[0-9]{0,3})?|1(\\.0{0,3})?");

    /** The charset parameter of a Content-Type, lower case, unquoted; "" when there is none. */
    private static String charset(String contentType) {
        String[] parts = contentType == null ? new String[0] : contentType.split(";");
        for (int i = 1; i < parts.length; i++) {
            String[] nameValue = parts[i].split("=", 2);
            if (nameValue.length == 2 && nameValue[0].trim().equalsIgnoreCase("charset")) {
                String value = nameValue[1].trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value.toLowerCase(Locale.ROOT);
            }
        }
        return "";
    }

    static byte[] encode(Message message, boolean protobuf) {
        return protobuf ? message.toByteArray() : (Json.print(message) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private static String utf8(byte[] body) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body)).toString();
    }

    private static HttpError badBody(String format, String problem) {
        return new HttpError(HttpResponseStatus.BAD_REQUEST, Error.Code.BAD_REQUEST,
                "body is not a valid " + format + " rhizome.v1.SignedEnvelope: " + problem);
    }
}
