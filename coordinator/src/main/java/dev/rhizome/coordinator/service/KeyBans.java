package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Rejection;
import dev.rhizome.coordinator.store.Bans;
import dev.rhizome.coordinator.store.Store;
import dev.rhizome.protocol.identity.PublicId;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Keys an operator banned: every signed request they make is refused with 403 (the HTTP layer
 * asks here once per signed request, before any route's own checks).
 * The set is read from the store at most once a second rather than once a request (a ban is rare,
 * a claim is not), so a ban made on another coordinator sharing the database holds here within
 * {@link #REFRESH_MS}; one made here holds at once.
 */
public final class KeyBans {
    static final long REFRESH_MS = 1_000;

    private final Store store;
    private final LongSupplier nowMs;
    private volatile Map<ByteString, String> banned = Map.of();
    private volatile long readAtMs = Long.MIN_VALUE / 2; // so the first check reads the store (no overflow)

    public KeyBans(Store store, LongSupplier nowMs) {
        this.store = store;
        this.nowMs = nowMs;
    }

    /** Refuses a banned signer, naming the action and the operator's reason. */
    public void require(PublicId signer, String action) {
        long now = nowMs.getAsLong();
        if (now - readAtMs >= REFRESH_MS) {
            refresh(now);
        }
        String reason = banned.get(signer.toByteString());
        if (reason != null) {
            throw Rejection.forbidden(signer + " is banned by an operator of this coordinator and may not " + action
                    + (reason.isEmpty() ? "" : ": " + reason));
        }
    }

    void refresh(long now) {
        banned = Map.copyOf(store.inTransaction(Bans::bannedKeys));
        readAtMs = now;
    }
}
