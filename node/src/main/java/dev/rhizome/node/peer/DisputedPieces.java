package dev.rhizome.node.peer;

import dev.rhizome.node.git.BundleFile;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Pieces of a ranged fetch whose bytes from another holder failed the first holder's (the
 * primary's) piece digest, kept so the dispute can be settled by evidence, without I/O. The piece
 * digests are the primary's word alone, but its header also names the whole bundle's SHA-256, which
 * every other holder agreed to (a piece is asked for naming it, and a holder without that very
 * bundle says CONFLICT). When the pieces done and a disputed copy of each missing piece hash
 * together to that SHA-256, the copies are the bundle's true bytes (no one finds a second preimage)
 * and the primary's digests for them were false: the primary is proven a liar by its own header,
 * and the fetch completes. A copy that completes nothing proves nothing, so a rogue holder sending
 * garbage can never have an honest primary blamed.
 */
final class DisputedPieces {
    /** Distinct copies kept per piece: an honest one behind a rogue's garbage still counts. */
    static final int COPIES_PER_PIECE = 2;
    /** Bytes kept at most over all pieces: a dispute costs bounded memory whatever the primary names. */
    static final long MAX_BYTES = 4L * BundleFile.PIECE_BYTES;
    /** Combinations of copies hashed at most per settling (each hashes the whole bundle once). */
    static final int MAX_TRIES = 4;

    /** Bytes sent for a piece, and the holders that sent them. */
    record Copy(Set<Integer> holders, byte[] bytes, byte[] sha256) {
    }

    private final Map<Integer, List<Copy>> copies = new TreeMap<>();
    private long bytes;

    /** {@code holder} sent {@code data} for {@code piece} and it failed the primary's digest: kept if room is left. */
    void add(int piece, int holder, byte[] data) {
        byte[] digest = ReceivedBytes.sha256Digest().digest(data);
        List<Copy> kept = copies.computeIfAbsent(piece, p -> new ArrayList<>());
        for (Copy c : kept) {
            if (MessageDigest.isEqual(c.sha256(), digest)) {
                c.holders().add(holder); // the same bytes again: one copy suffices
                return;
            }
        }
        if (kept.size() < COPIES_PER_PIECE && bytes + data.length <= MAX_BYTES) {
            Set<Integer> by = new TreeSet<>();
            by.add(holder);
            kept.add(new Copy(by, data, digest));
            bytes += data.length;
        } else if (kept.isEmpty()) {
            copies.remove(piece);
        }
    }

    boolean isEmpty() {
        return copies.isEmpty();
    }

    /**
     * The combinations of copies worth hashing when {@code missing} are the pieces not done: one copy
     * for each, at most {@link #MAX_TRIES}; none when a missing piece has no copy.
     */
    List<Map<Integer, Copy>> candidates(Set<Integer> missing) {
        if (missing.isEmpty() || !copies.keySet().containsAll(missing)) {
            return List.of();
        }
        List<Map<Integer, Copy>> out = new ArrayList<>();
        out.add(new TreeMap<>());
        for (int piece : new TreeSet<>(missing)) {
            List<Map<Integer, Copy>> next = new ArrayList<>();
            for (Map<Integer, Copy> partial : out) {
                for (Copy c : copies.get(piece)) {
                    if (next.size() < MAX_TRIES) {
                        Map<Integer, Copy> more = new TreeMap<>(partial);
                        more.put(piece, c);
                        next.add(more);
                    }
                }
            }
            out = next;
        }
        return out;
    }
}
