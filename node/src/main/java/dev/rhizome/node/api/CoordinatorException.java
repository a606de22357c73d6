package dev.rhizome.node.api;

import dev.rhizome.proto.v1.Error;

/**
 * The coordinator answered with an error, or could not be reached ({@link #status()} is 0).
 * A refusal (4xx) is final; anything else may succeed when retried.
 */
public final class CoordinatorException extends Exception {
    private final int status;
    private final Error.Code code;

    public CoordinatorException(int status, Error.Code code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public CoordinatorException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
        this.code = Error.Code.CODE_UNSPECIFIED;
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
