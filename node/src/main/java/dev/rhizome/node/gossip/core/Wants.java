package dev.rhizome.node.gossip.core;

import dev.rhizome.protocol.identity.PublicId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which announced bundles a node fetches unasked.
 *
 * <p>{@link #everything()}: every bundle announced to it (full replication, as the loopback
 * benchmark measures). {@link #workAndReplicas}: the "wants" filter. A node fetches what its own
 * work asks for ({@link GossipCore#want}, from the holders it heard announce the commit as well as
 * the work's hints) and what a neighbour names it to keep. The node that makes a commit names
 * {@code copies} of its links as keepers, chosen by rendezvous hashing on the commit id (the top
 * scores of SHA-256(commit, node id)); a keeper counts once the maker's server has sent it the
 * whole bundle (an announcement alone proves nothing: see {@link Keepers}), one that has not taken
 * it within a minute is replaced, and links that open later are named while fewer than
 * {@code copies} keep it;
 * a keeper does not name keepers in turn. So each commit lives on its maker and
 * about {@code copies} neighbours of it, plus every node whose work needed it, and stays fetchable
 * when its maker leaves. A keeper takes a duty only while its {@link KeepBudget} ({@code keepBytes})
 * has room; a duty it declines is one it never fetches, and the maker names another.
 */
public record Wants(boolean all, int copies, long keepBytes, long maxBundleBytes) {
    /** Keepers a node names for each commit it makes: with its maker, four copies outlive any one node leaving. */
    public static final int DEFAULT_COPIES = 3;
    /** Bytes of neighbours' bundles a node keeps when named keeper, unless told otherwise: half the default repository budget. */
    public static final long DEFAULT_KEEP_BYTES = 2048L << 20;
    /** The largest bundle a fetch accepts (PeerConfig's default): what a keeper duty reserves until its bundle arrives. */
    public static final long DEFAULT_MAX_BUNDLE_BYTES = 64L << 20;

    public Wants {
        if (!all && (copies < 1 || copies > 16)) {
            throw new IllegalArgumentException("copies must be 1 to 16, got " + copies);
        }
        if (keepBytes < 0 || maxBundleBytes < 1) {
            throw new IllegalArgumentException("need keepBytes >= 0 and maxBundleBytes > 0, got " + keepBytes + " and "
                    + maxBundleBytes);
        }
    }

    /** A policy with the default keeper budget. */
    public Wants(boolean all, int copies) {
        this(all, copies, DEFAULT_KEEP_BYTES, DEFAULT_MAX_BUNDLE_BYTES);
    }

    public static Wants everything() {
        return new Wants(true, 0);
    }

    public static Wants workAndReplicas(int copies) {
        return new Wants(false, copies);
    }

    /**
     * The wants filter, keeping at most {@code keepBytes} of neighbours' bundles (see
     * {@link KeepBudget}); each duty reserves {@code maxBundleBytes} until its bundle arrives.
     */
    public static Wants workAndReplicas(int copies, long keepBytes, long maxBundleBytes) {
        return new Wants(false, copies, keepBytes, maxBundleBytes);
    }

    /** The {@code n} of {@code candidates} with the highest rendezvous score for {@code commit}, best first. */
    static List<PublicId> keepers(String commit, List<PublicId> candidates, int n) {
        List<PublicId> sorted = new ArrayList<>(candidates);
        sorted.sort(Comparator.comparingLong((PublicId p) -> score(commit, p)).reversed().thenComparing(PublicId::toString));
        return sorted.subList(0, Math.min(n, sorted.size()));
    }

    static long score(String commit, PublicId node) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(commit.getBytes(StandardCharsets.US_ASCII));
            sha.update(node.toByteString().toByteArray());
            byte[] d = sha.digest();
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (d[i] & 0xff);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
