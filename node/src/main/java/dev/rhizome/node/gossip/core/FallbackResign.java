package dev.rhizome.node.gossip.core;

/**
 * When the driver re-signs the hello of a protocol that never asks for wakeups (the benchmark's
 * flooding baseline, test doubles), which it ticks every tick: as often as the core re-signs its
 * own ({@link SelfSigner#RESIGN_MS}), so a hello's NodeInfo is never older than a core's would be.
 * The core itself says when, with {@link Effect.SignedSelf}. This was a timing of the driver's own.
 *
 * <p>Pure: time is passed in. Not thread-safe: the core's thread calls it.
 */
public final class FallbackResign {
    private long signedAtMs;

    /** @param signedAtMs when the hello was last signed (at start) */
    public FallbackResign(long signedAtMs) {
        this.signedAtMs = signedAtMs;
    }

    /** Whether the hello is due to be signed again at {@code nowMs}; if so, it counts as signed then. */
    public boolean due(long nowMs) {
        if (nowMs - signedAtMs < SelfSigner.RESIGN_MS) {
            return false;
        }
        signedAtMs = nowMs;
        return true;
    }
}
