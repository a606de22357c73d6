package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.TreeSet;

/**
 * The advisory keys of a settling result's locks on a shared store (see {@link WriteOrder#lockForSettlement}):
 * one per direction, one for the commit (its trial, results and units), one per runner's or
 * proposer's key. Single 64-bit keys, a space apart from the two-key locks (the writers', a
 * claim's), taken from a digest of the schema and the name, so that two names share a lock only
 * by a 2^-64 chance (which would serialize them, never deadlock: each set is taken in one order).
 */
final class SettlementLocks {
    private final String prefix;

    /** @param space what tells this schema's locks apart from another's in the same database */
    SettlementLocks(int space) {
        this.prefix = "settle " + space + " ";
    }

    /** The advisory keys of the locks, distinct and ascending: the one order every settlement takes them in. */
    long[] keys(Collection<String> directions, String commit, Collection<ByteString> keys) {
        TreeSet<Long> ascending = new TreeSet<>();
        directions.forEach(d -> ascending.add(key("direction " + d)));
        ascending.add(key("commit " + commit));
        keys.forEach(k -> ascending.add(key("key " + HexFormat.of().formatHex(k.toByteArray()))));
        return ascending.stream().mapToLong(Long::longValue).toArray();
    }

    private long key(String name) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((prefix + name).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
