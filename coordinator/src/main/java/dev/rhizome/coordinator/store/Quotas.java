package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;

/**
 * What bounds a key's writes: daily write counts ({@code core.WriteQuota}) and the claim nonces
 * already used. Part of {@link Store.Transaction}.
 */
public interface Quotas {
    /**
     * Remembers a claim's nonce; false when this node already used it (a replayed claim).
     * {@code timeMs} is the claim's own time, by which {@link #forgetClaimNonces} prunes.
     */
    boolean useClaimNonce(ByteString node, ByteString nonce, long timeMs);

    /** Drops nonces of claims made before {@code beforeMs}: the replay window refuses those anyway. */
    int forgetClaimNonces(long beforeMs);

    /** Writes of {@code kind} counted on the day starting {@code dayMs} under each scope; 0 for one never counted. */
    Map<String, Integer> writeCounts(String kind, long dayMs, List<String> scopes);

    /** Counts one write of {@code kind} on the day starting {@code dayMs} under each scope. */
    void countWrite(String kind, long dayMs, List<String> scopes);

    /**
     * Takes back one write of {@code kind} counted on the day starting {@code dayMs} under each
     * scope (a lease given back unanswered: nobody got it); a count never goes below 0.
     */
    void uncountWrite(String kind, long dayMs, List<String> scopes);

    /** Forgets the counts of days before {@code dayMs}; returns how many rows went. */
    int forgetWriteCounts(long beforeDayMs);
}
