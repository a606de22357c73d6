package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.proto.v1.Error;
import io.netty.handler.codec.http.HttpResponseStatus;

/** A refusal that happens at the HTTP level (routing, body format), or a core rejection mapped to a status. */
final class HttpError extends RuntimeException {
    private final HttpResponseStatus status;
    private final Error.Code code;
    /** For a 405: the methods the path accepts, sent as the Allow header; else null. */
    private final String allow;

    HttpError(HttpResponseStatus status, Error.Code code, String message) {
        this(status, code, message, null);
    }

    HttpError(HttpResponseStatus status, Error.Code code, String message, String allow) {
        super(message);
        this.status = status;
        this.code = code;
        this.allow = allow;
    }

    String allow() {
        return allow;
    }

    static HttpError from(Rejection r) {
        return new HttpError(statusOf(r.code()), r.code(), r.getMessage());
    }

    HttpResponseStatus status() {
        return status;
    }

    /** The refusal as sent: its message made safe to show and bounded ({@link RefusalText}). */
    Error toError() {
        return Error.newBuilder().setCode(code).setMessage(RefusalText.of(getMessage())).build();
    }

    static HttpResponseStatus statusOf(Error.Code code) {
        return switch (code) {
            case BAD_REQUEST, CODE_UNSPECIFIED, UNRECOGNIZED -> HttpResponseStatus.BAD_REQUEST;
            case BAD_SIGNATURE -> HttpResponseStatus.UNAUTHORIZED;
            case FORBIDDEN, WRONG_NETWORK, WRONG_HARDWARE_CLASS -> HttpResponseStatus.FORBIDDEN;
            case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case CONFLICT, LEASE_EXPIRED, UNIT_CLOSED -> HttpResponseStatus.CONFLICT;
            case TOO_LARGE -> HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
            case UNSUPPORTED -> HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE;
            case INTERNAL -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
            case LIMIT_REACHED -> HttpResponseStatus.TOO_MANY_REQUESTS;
            case TIMEOUT -> HttpResponseStatus.REQUEST_TIMEOUT;
            case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
        };
    }
}
