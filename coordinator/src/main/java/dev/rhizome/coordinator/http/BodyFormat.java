package dev.rhizome.coordinator.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.rhizome.proto.v1.Error;
import dev.rhizome.proto.v1.SignedEnvelope;
import dev.rhizome.protocol.Json;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Locale;

/** Content negotiation: protobuf or proto3 JSON bodies in, JSON (default) or protobuf out. */
final class BodyFormat {
    static final String PROTOBUF = "application/x-protobuf";
    static final String JSON = "application/json";

    private BodyFormat() {
    }

    /** Parses a request body as a SignedEnvelope; JSON unless the Content-Type says protobuf. */
    static SignedEnvelope envelope(ApiRequest request) {
        String type = mediaType(request.contentType());
        if (type.equals(PROTOBUF)) {
            try {
                return SignedEnvelope.parseFrom(request.body());
            } catch (InvalidProtocolBufferException e) {
                throw badBody("protobuf", e.getMessage());
            }
        }
        if (type.isEmpty() || type.equals(JSON)) {
            try {
                return Json.parse(utf8(request.body()), SignedEnvelope.newBuilder()).build();
            } catch (InvalidProtocolBufferException | CharacterCodingException e) {
                throw badBody("JSON", e.getMessage());
            }
        }
        throw new HttpError(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, Error.Code.UNSUPPORTED,
                "Content-Type " + request.contentType() + " is not supported; send " + JSON + " or " + PROTOBUF);
    }

    static boolean wantsProtobuf(String accept) {
        return accept != null && accept.toLowerCase(Locale.ROOT).contains(PROTOBUF);
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
