package dev.rhizome.coordinator.service;

import com.google.protobuf.ByteString;
import dev.rhizome.coordinator.core.Rejection;

/** The shape of a claim's nonce: enough random bytes that a node never repeats one by chance. */
final class ClaimNonces {
    static final int MIN_BYTES = 16;
    static final int MAX_BYTES = 64;

    private ClaimNonces() {
    }

    static void check(ByteString nonce) {
        if (nonce.size() < MIN_BYTES || nonce.size() > MAX_BYTES) {
            throw Rejection.badRequest("nonce must be " + MIN_BYTES + "-" + MAX_BYTES + " random bytes, fresh for every "
                    + "claim, got " + nonce.size());
        }
    }
}
