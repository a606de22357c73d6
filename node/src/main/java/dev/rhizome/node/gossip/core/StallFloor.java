package dev.rhizome.node.gossip.core;

/**
 * The minimum progress a transfer must make per stall period, on the gossip and the direct fetch
 * path alike: 64 KiB per 10 s (6.4 KB/s), unless this node's own download cap (the volunteer's
 * {@code max-download-kbps}) holds its transfers under that. The cap is shared by every transfer at
 * once, so a volunteer capping downloads at 20 KiB/s got about 5 KiB/s a fetch, under the floor,
 * and took every honest holder for a staller, to a ban. With a cap the floor is half of what each
 * of {@code sharing} transfers gets of it, never more than 64 KiB a period.
 */
public final class StallFloor {
    /** Bytes a transfer must advance per stall period without a download cap. */
    public static final long MIN_PROGRESS_BYTES = 64 * 1024;

    private StallFloor() {
    }

    /**
     * @param capBytesPerSecond this node's download cap, 0 for none
     * @param periodMs          the stall period the minimum is counted over
     * @param sharing           transfers that may share the cap at once
     */
    public static long minProgressBytes(long capBytesPerSecond, long periodMs, int sharing) {
        if (capBytesPerSecond <= 0) {
            return MIN_PROGRESS_BYTES;
        }
        long share = capBytesPerSecond * periodMs / 1000 / Math.max(1, sharing) / 2;
        return Math.max(1, Math.min(MIN_PROGRESS_BYTES, share));
    }
}
