package dev.rhizome.node.peer;

import java.time.Duration;

/**
 * Limits of the peer wire. A chunk must fit in a frame with room for framing; a bundle over
 * {@code maxBundleBytes} is refused from its header on, and again if more bytes arrive.
 *
 * @param maxUploads            bundle requests a server serves at once; past that it answers BUSY
 * @param uploadBytesPerSecond  what all of a server's uploads together may send per second, paced
 *                              by a token bucket holding at most {@code uploadBurstBytes}; 0: no cap
 * @param uploadBurstBytes      bytes a server may send at once after being idle
 * @param rangeHolders          holders a fetcher given several takes pieces from at once
 */
public record PeerConfig(int maxFrameBytes, int chunkBytes, long maxBundleBytes, Duration connectTimeout,
                         Duration idleTimeout, int maxUploads, long uploadBytesPerSecond, long uploadBurstBytes,
                         int rangeHolders) {
    /** Protobuf and length-prefix overhead of a chunk frame, with margin. */
    private static final int CHUNK_FRAME_OVERHEAD = 64;
    /** Uploads at once: a few requesters per neighbour of a degree-6 node, and bounded memory and disk reads. */
    public static final int DEFAULT_MAX_UPLOADS = 8;
    /** 32 MiB/s (about 270 Mbit/s): above most home uplinks, so it paces fast links only; a volunteer lowers it. */
    public static final long DEFAULT_UPLOAD_BYTES_PER_SECOND = 32L << 20;
    /** 1 MiB saved up: one piece goes out at once after a pause. */
    public static final long DEFAULT_UPLOAD_BURST_BYTES = 1L << 20;
    /** Holders asked for pieces at once, as a BitTorrent client keeps a few peers unchoked. */
    public static final int DEFAULT_RANGE_HOLDERS = 4;

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
        if (maxUploads < 1 || rangeHolders < 1) {
            throw new IllegalArgumentException("need at least one upload and one range holder at once");
        }
        if (uploadBytesPerSecond < 0 || (uploadBytesPerSecond > 0 && uploadBurstBytes < chunkBytes)) {
            throw new IllegalArgumentException("upload rate must be 0 (no cap) or positive with a burst of at least one chunk ("
                    + chunkBytes + " bytes)");
        }
    }

    /** The wire limits with the default upload pacing and range fetching. */
    public PeerConfig(int maxFrameBytes, int chunkBytes, long maxBundleBytes, Duration connectTimeout, Duration idleTimeout) {
        this(maxFrameBytes, chunkBytes, maxBundleBytes, connectTimeout, idleTimeout, DEFAULT_MAX_UPLOADS,
                DEFAULT_UPLOAD_BYTES_PER_SECOND, DEFAULT_UPLOAD_BURST_BYTES, DEFAULT_RANGE_HOLDERS);
    }

    /**
     * 1 MiB frames, 256 KiB chunks, 64 MiB bundles, 5 s to connect, 30 s of silence before giving up;
     * 8 uploads at once at 32 MiB/s in all (1 MiB burst); pieces from 4 holders at once.
     */
    public static PeerConfig defaults() {
        return new PeerConfig(1 << 20, 256 << 10, 64L << 20, Duration.ofSeconds(5), Duration.ofSeconds(30));
    }

    /** This config with other upload limits. */
    public PeerConfig withUploads(int maxUploads, long bytesPerSecond, long burstBytes) {
        return new PeerConfig(maxFrameBytes, chunkBytes, maxBundleBytes, connectTimeout, idleTimeout, maxUploads,
                bytesPerSecond, burstBytes, rangeHolders);
    }

    /** This config taking pieces from up to {@code holders} holders at once. */
    public PeerConfig withRangeHolders(int holders) {
        return new PeerConfig(maxFrameBytes, chunkBytes, maxBundleBytes, connectTimeout, idleTimeout, maxUploads,
                uploadBytesPerSecond, uploadBurstBytes, holders);
    }
}
