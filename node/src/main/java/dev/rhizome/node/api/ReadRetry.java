package dev.rhizome.node.api;

import java.util.OptionalLong;

/**
 * When a read the coordinator refused with {@code 429} and a {@code Retry-After} is asked again: the
 * coordinator's CPU budget for reads (coordinator {@code http.ReadWork}) refuses an address or
 * network that spent it until it has refilled, and says in how many seconds. An honest client (a
 * CLI command, a node, an export of a long history) that reached it waits as told and asks again
 * rather than failing. Only reads: a write refused {@code 429} is a daily limit, and asking again
 * could not help (a write is never sent twice by this rule, so nothing can double-apply).
 *
 * <p>Bounded twice: one wait is at most {@link #LONGEST_WAIT_S} (a header asking for an hour is a
 * hostile or broken server's), and one read waits at most {@link #TOTAL_WAIT_S} in all before the
 * refusal is given to its caller. No I/O: the caller sleeps.
 */
public final class ReadRetry {
    /** The longest single Retry-After followed, in seconds. */
    public static final long LONGEST_WAIT_S = 60;
    /** The most one read waits in all before it gives up, in seconds. */
    public static final long TOTAL_WAIT_S = 300;

    private ReadRetry() {
    }

    /**
     * The seconds a Retry-After header asks for, when it is the delay form (RFC 9110 10.2.3: digits);
     * empty for none, an HTTP date (not sent by a coordinator) or anything else.
     */
    public static OptionalLong retryAfter(String header) {
        if (header == null || !header.trim().matches("[0-9]{1,9}")) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseLong(header.trim()));
    }

    /**
     * How long to wait before asking again, given a refusal's status and Retry-After seconds (0: none)
     * and the seconds this read has already waited; empty: give the refusal to the caller.
     */
    public static OptionalLong waitSeconds(int status, long retryAfterS, long waitedS) {
        if (status != 429 || retryAfterS <= 0) {
            return OptionalLong.empty();
        }
        long wait = Math.max(1, Math.min(LONGEST_WAIT_S, retryAfterS));
        if (waitedS + wait > TOTAL_WAIT_S) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(wait);
    }

    /** Told of each wait, before it starts (the CLI says a long one on standard error). */
    @FunctionalInterface
    public interface Waits {
        Waits NOBODY = (call, seconds, why) -> {
        };

        /** {@code call} (method and path) waits {@code seconds} because {@code why} (the coordinator's words). */
        void waiting(String call, long seconds, String why);
    }
}
