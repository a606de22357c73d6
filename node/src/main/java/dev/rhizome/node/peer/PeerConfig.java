package dev.rhizome.node.peer;

import java.time.Duration;

/**
 * Limits of the peer wire. A chunk must fit in a frame with room for framing; a bundle over
 * {@code maxBundleBytes} is refused from its header on, and again if more bytes arrive.
 */
public record PeerConfig(int maxFrameBytes, int chunkBytes, long maxBundleBytes, Duration connectTimeout,
                         Duration idleTimeout) {
    /** Protobuf and length-prefix overhead of a chunk frame, with margin. */
    private static final int CHUNK_FRAME_OVERHEAD = 64;

    public PeerConfig {
        if (chunkBytes <= 0 || maxFrameBytes < chunkBytes + CHUNK_FRAME_OVERHEAD) {
            throw new IllegalArgumentException("chunks of " + chunkBytes + " bytes do not fit frames of "
                    + maxFrameBytes + " bytes");
        }
        if (maxBundleBytes <= 0) {
            throw new IllegalArgumentException("max bundle size must be positive: " + maxBundleBytes);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    /** 1 MiB frames, 256 KiB chunks, 64 MiB bundles, 5 s to connect, 30 s of silence before giving up. */
    public static PeerConfig defaults() {
        return new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(5), Duration.ofSeconds(30));
    }
}
