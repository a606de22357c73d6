package dev.rhizome.node.peer;

import com.google.protobuf.ByteString;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The uploads a server runs at once, shared by its connections, and who gets one when all are
 * taken. Without I/O: the Netty adapter passes the time in and acts on what it returns.
 *
 * <p>While a slot is free, anyone gets it (no slot idles while someone asks). Once all are taken,
 * a request is answered at once rather than queued, so the asker's stall clock never runs on a
 * queue. Its answer depends on the asker's share, counted both by the node id of its fetch hello
 * and by its address (ids cost nothing to invent; addresses do), the larger of the two counting:
 * <ul>
 *   <li>an asker already holding {@link #share} slots is told BUSY;</li>
 *   <li>otherwise, an upload of a peer holding more than its share is ended early in the asker's
 *       favour (its heaviest holder's first, and of those the slowest): a peer reading slowly on
 *       many connections keeps at most its share while others ask;</li>
 *   <li>otherwise, as BitTorrent's choking rotates its unchoked peers, an upload that has held its
 *       slot at least {@link #minTenureMs} and whose peer holds more slots than the asker is ended
 *       early in the asker's favour (the slowest first), so peers on many addresses reading just
 *       above the stall floor still do not keep every slot;</li>
 *   <li>otherwise BUSY.</li>
 * </ul>
 * An upload ended early is told BUSY by its adapter: its fetcher asks another holder, and a BUSY
 * costs a server nothing in any scoring. Thread-safe: the server's event loops share one.
 */
final class UploadSlots {
    /** Slots one peer (by id, and by address) may keep while others ask. */
    static final int SHARE = 2;
    /** How long an upload within its share keeps its slot before a rotation may end it: as long as the stall rule's window. */
    static final long MIN_TENURE_MS = SlowReaderRule.MIN_WINDOW_MS;

    /** Who asks for a slot: the node id its fetch hello carries, and its address (see {@link #addressKey}). */
    record Asker(ByteString node, String address) {
    }

    /** What an upload's adapter does when its upload is ended early: called on the granting thread, so it hands off. */
    @FunctionalInterface
    interface Holder {
        void preempt(Upload upload);
    }

    /** One upload holding a slot. */
    static final class Upload {
        private final Asker asker;
        private final Holder holder;
        private final long startedMs;
        private final long sequence;
        private long bytes;
        private boolean revoked;

        private Upload(Asker asker, Holder holder, long startedMs, long sequence) {
            this.asker = asker;
            this.holder = holder;
            this.startedMs = startedMs;
            this.sequence = sequence;
        }

        Asker asker() {
            return asker;
        }

        /** The adapter to tell when this upload is ended early. */
        Holder holder() {
            return holder;
        }

        @Override
        public String toString() {
            return "upload #" + sequence + " to " + asker.address();
        }
    }

    /**
     * The answer to a request: {@code upload} is the slot granted (null: BUSY); {@code preempted},
     * when not null, is the upload ended early to make room, whose holder the caller must tell; a BUSY's
     * {@code retryAfterMs} is when this asker might find a slot ({@link #retryAfterMs(Asker, long)}).
     */
    record Grant(Upload upload, Upload preempted, long retryAfterMs) {
        Grant(Upload upload, Upload preempted) {
            this(upload, preempted, 0);
        }

        static Grant busy(long retryAfterMs) {
            return new Grant(null, null, retryAfterMs);
        }

        boolean busy() {
            return upload == null;
        }
    }

    private final int max;
    private final int share;
    private final long minTenureMs;
    private final List<Upload> uploads = new ArrayList<>();
    private final Map<ByteString, Integer> byNode = new HashMap<>();
    private final Map<String, Integer> byAddress = new HashMap<>();
    private long sequence;
    /** How long an upload held its slot, smoothed (each release weighs an eighth); the tenure until one was measured. */
    private long meanHeldMs;

    UploadSlots(int max) {
        this(max, SHARE, MIN_TENURE_MS);
    }

    UploadSlots(int max, int share, long minTenureMs) {
        if (max < 1 || share < 1 || minTenureMs < 0) {
            throw new IllegalArgumentException("need a slot, a share of at least one, and a tenure of at least zero");
        }
        this.max = max;
        this.share = share;
        this.minTenureMs = minTenureMs;
        this.meanHeldMs = Math.max(minTenureMs, BundleBuilders.MIN_RETRY_MS);
    }

    /** A slot for {@code asker}, whose adapter is {@code holder}, at {@code nowMs}; see the class comment. */
    synchronized Grant acquire(Asker asker, Holder holder, long nowMs) {
        if (uploads.size() < max) {
            return new Grant(add(asker, holder, nowMs), null);
        }
        int askerLoad = load(asker);
        if (askerLoad >= share) {
            return Grant.busy(retryAfterMs(askerLoad, nowMs));
        }
        Upload victim = null;
        int victimLoad = 0;
        for (Upload u : uploads) {
            int load = load(u.asker);
            boolean overShare = load > share;
            boolean rotates = load > askerLoad && nowMs - u.startedMs >= minTenureMs;
            if ((overShare || rotates) && (victim == null || before(u, load, victim, victimLoad, nowMs))) {
                victim = u;
                victimLoad = load;
            }
        }
        if (victim == null) {
            return Grant.busy(retryAfterMs(askerLoad, nowMs));
        }
        remove(victim);
        victim.revoked = true;
        return new Grant(add(asker, holder, nowMs), victim);
    }

    /** Whether {@code a} should be ended before {@code b}: the heavier peer's first, then the slower, then the older. */
    private static boolean before(Upload a, int loadA, Upload b, int loadB, long nowMs) {
        if (loadA != loadB) {
            return loadA > loadB;
        }
        int byRate = Double.compare(rate(a, nowMs), rate(b, nowMs));
        if (byRate != 0) {
            return byRate < 0;
        }
        return a.sequence < b.sequence;
    }

    /** Bytes per millisecond its reader took since the upload started. */
    private static double rate(Upload u, long nowMs) {
        return u.bytes / (double) Math.max(1, nowMs - u.startedMs);
    }

    /**
     * The upload ended without sending all it was asked (failed, refused, its connection gone): its slot
     * is free, and its time says nothing of how long an upload takes. Nothing if it was ended already.
     */
    synchronized void release(Upload upload) {
        free(upload);
    }

    /** The upload sent all it was asked at {@code nowMs}: its slot is free, and how long it held it feeds the BUSY hint. */
    synchronized void completed(Upload upload, long nowMs) {
        if (free(upload)) {
            long held = Math.max(0, nowMs - upload.startedMs);
            if (held > 0) {
                meanHeldMs += (held - meanHeldMs) / 8;
            }
        }
    }

    /** Frees {@code upload}'s slot; false when there was none to free (null, or ended already). */
    private boolean free(Upload upload) {
        if (upload == null || upload.revoked) {
            return false;
        }
        remove(upload);
        upload.revoked = true;
        return true;
    }

    /**
     * When an asker holding {@code askerLoad} slots, told BUSY at {@code nowMs}, might find one: the
     * soonest of each upload's expected end (its start plus the mean time an upload held its slot
     * lately) and, for an asker under its share, the soonest rotation in its favour (an upload of a
     * heavier peer reaching its tenure); between {@link BundleBuilders#MIN_RETRY_MS} and
     * {@link BundleBuilders#MAX_RETRY_MS}, as the builders' hint. A guess (no upload's length is known
     * ahead), but one from the slots' state: an asker told "ask me again in 10 s" by a server whose
     * uploads end every second waits for nothing, and one asking again at once finds it busy again.
     */
    synchronized long retryAfterMs(Asker asker, long nowMs) {
        return retryAfterMs(load(asker), nowMs);
    }

    private long retryAfterMs(int askerLoad, long nowMs) {
        long soonest = Long.MAX_VALUE;
        for (Upload u : uploads) {
            soonest = Math.min(soonest, u.startedMs + meanHeldMs - nowMs);
            if (askerLoad < share && load(u.asker) > askerLoad) {
                soonest = Math.min(soonest, u.startedMs + minTenureMs - nowMs);
            }
        }
        if (soonest == Long.MAX_VALUE) {
            soonest = 0;
        }
        return Math.max(BundleBuilders.MIN_RETRY_MS, Math.min(BundleBuilders.MAX_RETRY_MS, soonest));
    }

    /** {@code bytes} more of the upload were taken by its reader: how its speed is judged. */
    synchronized void sent(Upload upload, long bytes) {
        upload.bytes += bytes;
    }

    synchronized int inUse() {
        return uploads.size();
    }

    /** Slots held now by the peer of {@code asker}: the larger of its id's and its address's counts. */
    synchronized int held(Asker asker) {
        return load(asker);
    }

    private int load(Asker asker) {
        return Math.max(byNode.getOrDefault(asker.node(), 0), byAddress.getOrDefault(asker.address(), 0));
    }

    private Upload add(Asker asker, Holder holder, long nowMs) {
        Upload upload = new Upload(asker, holder, nowMs, sequence++);
        uploads.add(upload);
        byNode.merge(asker.node(), 1, Integer::sum);
        byAddress.merge(asker.address(), 1, Integer::sum);
        return upload;
    }

    private void remove(Upload upload) {
        uploads.remove(upload);
        byNode.computeIfPresent(upload.asker.node(), (k, n) -> n == 1 ? null : n - 1);
        byAddress.computeIfPresent(upload.asker.address(), (k, n) -> n == 1 ? null : n - 1);
    }

    /**
     * The address a peer's share is counted by: an IPv4 address itself, an IPv6 address's /64 (one
     * host is usually given a whole /64, so counting single addresses would give it billions of shares).
     */
    static String addressKey(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] prefix = Arrays.copyOf(address.getAddress(), 8);
            StringBuilder key = new StringBuilder("v6:");
            for (byte b : prefix) {
                key.append(String.format("%02x", b));
            }
            return key.append("::/64").toString();
        }
        return address.getHostAddress();
    }
}
