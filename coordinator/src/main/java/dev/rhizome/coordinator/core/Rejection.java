package dev.rhizome.coordinator.core;

import dev.rhizome.proto.v1.Error;

/**
 * A request the coordinator refuses, with the error code and a message that names the problem.
 * Unchecked so that throwing it from inside a store transaction rolls the whole change back.
 */
public final class Rejection extends RuntimeException {
    private final Error.Code code;

    public Rejection(Error.Code code, String message) {
        super(message);
        this.code = code;
    }

    public Error.Code code() {
        return code;
    }

    public static Rejection badRequest(String message) {
        return new Rejection(Error.Code.BAD_REQUEST, message);
    }

    public static Rejection notFound(String message) {
        return new Rejection(Error.Code.NOT_FOUND, message);
    }

    public static Rejection forbidden(String message) {
        return new Rejection(Error.Code.FORBIDDEN, message);
    }

    public static Rejection conflict(String message) {
        return new Rejection(Error.Code.CONFLICT, message);
    }

    /** A result in another hardware class than its lease was claimed with, or one its seed's class does not fit. */
    public static Rejection wrongHardwareClass(String message) {
        return new Rejection(Error.Code.WRONG_HARDWARE_CLASS, message);
    }

    public static Rejection leaseExpired(String message) {
        return new Rejection(Error.Code.LEASE_EXPIRED, message);
    }

    /**
     * A unit its holder closed before its deadline (given back, or its experiment submitted): the
     * lease did not run out, so "lease expired" with a deadline still ahead misled the agent.
     */
    public static Rejection unitClosed(String message) {
        return new Rejection(Error.Code.UNIT_CLOSED, message);
    }

    public static Rejection limitReached(String message) {
        return new Rejection(Error.Code.LIMIT_REACHED, message);
    }
}
