package dev.rhizome.coordinator.store;

import com.google.protobuf.ByteString;
import java.util.Map;

/**
 * The operators' bans of keys. Part of {@link Store.Transaction}.
 */
public interface Bans {
    /** Records an operator's ban of a key; false when it was already banned. */
    boolean banKey(ByteString key, String reason, long nowMs);

    /** Banned keys and why. */
    Map<ByteString, String> bannedKeys();
}
