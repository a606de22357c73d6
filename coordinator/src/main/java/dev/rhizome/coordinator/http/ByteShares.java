package dev.rhizome.coordinator.http;

import dev.rhizome.coordinator.core.AddressScope;
import java.util.HashMap;
import java.util.Map;

/**
 * Bytes the server holds for its clients (request bodies still arriving, replies their clients have
 * not taken), bounded in total and shared out like the connections and the workers: one network
 * ({@link AddressScope#network}, an IPv4 /24 or an IPv6 /48) holds at most a quarter of the total,
 * one address ({@link AddressScope#of}, an IPv6 /64 as one) at most an eighth, each never less
 * than one request needs whole. With one count for everyone, one address's connections that read
 * nothing, or a byte now and then (which the stall rule counts as reading), held the whole reply
 * budget, and a few addresses of one network trickling bodies the whole body budget: every other
 * client's reads, or uploads, were refused with 503 for as long as they kept it up. Filling the
 * total now takes four networks. Pure: no I/O, one lock.
 */
final class ByteShares {
    /** Which bound a holder is at: the total, its network's share, its address's share. */
    enum Bound { TOTAL, NETWORK, ADDRESS }

    /** Enough for about 45 pages of 5.6 MB held by clients that do not read, plus every honest reader. */
    static final long DEFAULT_REPLY_BYTES = 256L << 20;

    private final String what;
    private final long total;
    private final long perNetwork;
    private final long perAddress;
    private long held;
    private final Map<String, Long> networks = new HashMap<>();
    private final Map<String, Long> addresses = new HashMap<>();

    /**
     * @param what  the bytes held, in words for a refusal ("request bodies being received")
     * @param least the smallest share: what one request may need whole (a body of the largest size)
     */
    ByteShares(String what, long total, long least) {
        this(what, total, Math.min(total, Math.max(least, total / 4)), Math.min(total, Math.max(least, total / 8)));
    }

    /**
     * Reply bytes written and not yet taken by their clients. A connection whose client does not read
     * holds at most one reply ({@link ApiHandler}), but a page may be 5.6 MB as JSON and 4,096
     * connections may be open: some 22 GB. A read (GET, HEAD) whose client's share or the total is
     * full is refused with 503 until clients read or their connections close; writes (claims,
     * results: small answers) are never refused here, so work keeps flowing.
     */
    static ByteShares replies(long total) {
        return new ByteShares("replies waiting for their clients to read them", total, 1);
    }

    /** Bytes of request bodies still arriving; a share never smaller than one body of {@code largestBody}. */
    static ByteShares bodies(long total, long largestBody) {
        return new ByteShares("request bodies being received", total, largestBody);
    }

    ByteShares(String what, long total, long perNetwork, long perAddress) {
        if (total < 1 || perNetwork < 1 || perAddress < 1) {
            throw new IllegalArgumentException("byte budgets must be positive");
        }
        this.what = what;
        this.total = total;
        this.perNetwork = perNetwork;
        this.perAddress = perAddress;
    }

    /**
     * The bound that {@code scope} already holds all of (reached or passed), or null. For what is
     * taken before its size is known (a reply, built after this says yes): a holder may pass its
     * bound by one reply, never start another past it.
     */
    synchronized Bound full(String scope) {
        return exceeded(scope, 0, 0);
    }

    /**
     * Takes {@code bytes} for {@code scope} and answers null, or takes none and answers the bound
     * they would pass. For what arrives in pieces of known size (a body's chunks).
     */
    synchronized Bound take(String scope, long bytes) {
        Bound over = exceeded(scope, bytes, 1);
        if (over == null) {
            add(scope, bytes);
        }
        return over;
    }

    /** With {@code slack} 1: passing a bound refuses; with 0, reaching it does. */
    private Bound exceeded(String scope, long bytes, long slack) {
        // The narrowest first: what the client itself holds is what it can act on. A share as large
        // as the total is no share (a small budget): reaching it is reaching the total.
        if (perAddress < total && addresses.getOrDefault(scope, 0L) + bytes >= perAddress + slack) {
            return Bound.ADDRESS;
        }
        if (perNetwork < total && networks.getOrDefault(AddressScope.network(scope), 0L) + bytes >= perNetwork + slack) {
            return Bound.NETWORK;
        }
        if (held + bytes >= total + slack) {
            return Bound.TOTAL;
        }
        return null;
    }

    /** Counts {@code bytes} for {@code scope} whatever the bounds (a reply already built). */
    synchronized void add(String scope, long bytes) {
        held += bytes;
        networks.merge(AddressScope.network(scope), bytes, Long::sum);
        addresses.merge(scope, bytes, Long::sum);
    }

    /** Gives back bytes {@link #add}ed or {@link #take}n for {@code scope}; a holder at 0 is forgotten. */
    synchronized void release(String scope, long bytes) {
        held -= bytes;
        networks.computeIfPresent(AddressScope.network(scope), (k, n) -> n - bytes <= 0 ? null : n - bytes);
        addresses.computeIfPresent(scope, (k, n) -> n - bytes <= 0 ? null : n - bytes);
    }

    /** Bytes held now, in total. */
    synchronized long held() {
        return held;
    }

    /** Bytes held now for one address scope. */
    synchronized long held(String scope) {
        return addresses.getOrDefault(scope, 0L);
    }

    /** Holders (networks and addresses) counted now: at 0 they are forgotten, so this stays bounded by those holding. */
    synchronized int holders() {
        return networks.size() + addresses.size();
    }

    /** The refusal for a holder at {@code bound}, in words for the client. */
    String refusal(Bound bound) {
        return switch (bound) {
            case TOTAL -> "the coordinator holds its most " + what + " (" + total + " bytes in all); retry later";
            case NETWORK -> "your network (an IPv4 /24, an IPv6 /48) holds its share of the " + what + " ("
                    + perNetwork + " bytes); retry once its earlier ones are done";
            case ADDRESS -> "your address (an IPv6 /64 as one) holds its share of the " + what + " ("
                    + perAddress + " bytes); retry once its earlier ones are done";
        };
    }
}
