package dev.rhizome.node.api;

import dev.rhizome.proto.v1.Error;

/**
 * The coordinator answered with an error, or could not be reached ({@link #status()} is 0).
 * A refusal (4xx) is final; anything else may succeed when retried.
 */
public final class CoordinatorException extends Exception {
    private final int status;
    private final Error.Code code;
    /** The Retry-After of a refusal in seconds, 0 for none. */
    private final long retryAfterSeconds;

    public CoordinatorException(int status, Error.Code code, String message) {
        this(status, code, message, 0);
    }

    /** A refusal that said when to ask again ({@code Retry-After}, in seconds). */
    public CoordinatorException(int status, Error.Code code, String message, long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = Math.max(0, retryAfterSeconds);
    }

    public CoordinatorException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.code = Error.Code.CODE_UNSPECIFIED;
        this.retryAfterSeconds = 0;
    }

    /** Seconds the coordinator asked to wait before asking again (its Retry-After), 0 when it named none. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public Error.Code code() {
        return code;
    }

    /** True when the coordinator refused the request itself: retrying the same bytes won't help. */
    public boolean isRefusal() {
        return status >= 400 && status < 500;
    }
}
